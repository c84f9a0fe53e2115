/**
 * Cloud resource bindings: which product resources use a key. A bound key
 * cannot be scheduled for deletion or archived, as Tencent documents.
 */
import { KmsError } from "../errors.js";
import type { KeyRecord } from "./key.js";

/** At most this many bindings per key: a record stays small. */
export const MAX_BINDINGS = 100;

export interface CloudBinding {
  productId: string;
  resourceId: string;
}

const PRINTABLE = /^[\x21-\x7e]+$/;

export function assertBinding(productId: string, resourceId: string): void {
  if (productId.length === 0 || productId.length > 64 || !PRINTABLE.test(productId))
    throw new KmsError("InvalidParameter", "ProductId must be 1 to 64 printable ASCII characters");
  if (resourceId.length === 0 || resourceId.length > 256 || !PRINTABLE.test(resourceId))
    throw new KmsError("InvalidParameter", "ResourceId must be 1 to 256 printable ASCII characters");
}

export function hasBinding(key: KeyRecord, b: CloudBinding): boolean {
  return (key.bindings ?? []).some((x) => x.productId === b.productId && x.resourceId === b.resourceId);
}

/** Refuses actions that would take a key away from the resources using it. */
export function assertUnbound(key: KeyRecord): void {
  const n = key.bindings?.length ?? 0;
  if (n > 0) throw new KmsError("FailedOperation.CmkUsedByCloudProduct", `key ${key.keyId} is bound to ${n} cloud resource(s); unbind them first`);
}
