/**
 * The products a product secret can be bound to (DescribeSupportedProducts),
 * by ProductName. Adding one: its backend file and one entry here.
 */
import { KmsError } from "../../errors.js";
import { mysqlBackend } from "./mysql.js";
import type { ProductBackend } from "./product.js";

export type ProductRegistry = ReadonlyMap<string, ProductBackend>;

export function createProductRegistry(backends: readonly ProductBackend[]): ProductRegistry {
  const registry = new Map<string, ProductBackend>();
  for (const b of backends) {
    if (registry.has(b.name)) throw new Error(`product ${b.name} registered twice`);
    registry.set(b.name, b);
  }
  return registry;
}

export const PRODUCTS: ProductRegistry = createProductRegistry([mysqlBackend]);

/** ProductName → its backend, or InvalidParameterValue naming the supported ones. */
export function productOf(registry: ProductRegistry, name: string): ProductBackend {
  if (name === "") throw new KmsError("MissingParameter", "ProductName is required");
  const backend = registry.get(name);
  if (!backend) throw new KmsError("InvalidParameterValue", `ProductName must be one of ${[...registry.keys()].join(", ")}`);
  return backend;
}

/** DescribeSupportedProducts: the names, in registration order. */
export function supportedProducts(registry: ProductRegistry): string[] {
  return [...registry.keys()];
}
