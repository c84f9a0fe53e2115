/**
 * The official SDK's declarations of KMS (tencentcloud-sdk-nodejs,
 * services/kms/v20190118): its actions (kms_client.d.ts) and every interface
 * of kms_models.d.ts with its fields and their declared types, read from the
 * installed package so a test can hold the service to exactly what the SDK
 * sends and parses.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface SdkField {
  name: string;
  optional: boolean;
  /** As declared: "string", "number", "boolean", "Array<Tag>", "MemberAccount"... */
  type: string;
}

export interface SdkModels {
  /** Every action the SDK's client declares. */
  actions: string[];
  /** Interface name → its fields. */
  interfaces: Map<string, SdkField[]>;
}

function sdkDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("tencentcloud-sdk-nodejs/package.json")), "tencentcloud/services/kms/v20190118");
}

export function loadKmsModels(): SdkModels {
  const dir = sdkDir();
  const models = readFileSync(join(dir, "kms_models.d.ts"), "utf8");
  const client = readFileSync(join(dir, "kms_client.d.ts"), "utf8");
  const interfaces = new Map<string, SdkField[]>();
  for (const m of models.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
    const body = m[2] as string;
    const fields = [...body.matchAll(/^ {4}(\w+)(\??): ([^;]+);$/gm)].map((f) => ({ name: f[1] as string, optional: f[2] === "?", type: (f[3] as string).trim() }));
    interfaces.set(m[1] as string, fields);
  }
  // Interfaces with no field at all ("export type GetRegionsRequest = null;") match neither form above.
  for (const m of models.matchAll(/export (?:interface (\w+) \{\s*\}|type (\w+) = null;)/g)) interfaces.set((m[1] ?? m[2]) as string, []);
  const actions = [...client.matchAll(/^ {4}(\w+)\(req\??: (\w+)Request/gm)].map((m) => m[1] as string);
  return { actions, interfaces };
}
