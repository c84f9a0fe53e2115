/**
 * The root access key: from KMS_ROOT_SECRET_ID/KMS_ROOT_SECRET_KEY, or created
 * on first start and written to <data>/root-credentials.json (mode 0600) so
 * the operator can pick it up. Nothing else ever writes a secret to disk in clear.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AccessKeyRegistry } from "./registry.js";

export interface RootAccessKeyOptions {
  dataDir: string;
  uin: bigint;
  nowMs: number;
  supplied: { secretId: string; secretKey: string } | undefined;
  log: (msg: string) => void;
  warn: (msg: string) => void;
}

export async function ensureRootAccessKey(registry: AccessKeyRegistry, opts: RootAccessKeyOptions): Promise<void> {
  if (opts.supplied) {
    const { secretId, secretKey } = opts.supplied;
    if (registry.secretKeyOf(secretId) !== secretKey || registry.get(secretId)?.status !== "Enabled")
      await registry.create(opts.uin, "root access key (KMS_ROOT_SECRET_ID)", opts.nowMs, opts.supplied);
    opts.log(`kms: API 3.0 root access key ${secretId} from KMS_ROOT_SECRET_ID`);
    return;
  }
  if (registry.size > 0) return;
  const { record, secretKey } = await registry.create(opts.uin, "root access key (generated at first start)", opts.nowMs);
  const file = join(opts.dataDir, "root-credentials.json");
  await writeFile(file, `${JSON.stringify({ SecretId: record.secretId, SecretKey: secretKey }, null, 2)}\n`, { mode: 0o600 });
  opts.warn(`kms: generated the API 3.0 root access key ${record.secretId}; its SecretKey is in ${file} (mode 0600): move it to a secret store and delete the file`);
}
