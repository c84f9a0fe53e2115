/**
 * The root principal's credentials. Operators may supply them
 * (KMS_ROOT_SECRET_ID/KMS_ROOT_SECRET_KEY for API 3.0, KMS_ROOT_TOKEN for
 * gRPC/Connect); whatever the root lacks and was not supplied is generated
 * and written to <data>/root-credentials.json (mode 0600) for the operator to
 * pick up. Nothing else ever writes a secret to disk in clear.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KmsError } from "../errors.js";
import type { Directory } from "./directory.js";

export interface RootCredentialsOptions {
  dataDir: string;
  nowMs: number;
  suppliedAccessKey: { secretId: string; secretKey: string } | undefined;
  suppliedToken: string | undefined;
  log: (msg: string) => void;
  warn: (msg: string) => void;
}

export async function ensureRootCredentials(directory: Directory, opts: RootCredentialsOptions): Promise<void> {
  const root = directory.accountUin;
  const generated: Record<string, string> = {};

  if (opts.suppliedAccessKey) {
    const { secretId, secretKey } = opts.suppliedAccessKey;
    const current = directory.accessKey(secretId);
    if (current?.secretKey !== secretKey || current.identity.uin !== root) {
      if (directory.getAccessKey(secretId)) await directory.deleteAccessKey(secretId);
      await directory.createAccessKey(root, "root access key (KMS_ROOT_SECRET_ID)", opts.nowMs, opts.suppliedAccessKey);
    }
    opts.log(`kms: API 3.0 root access key ${secretId} from KMS_ROOT_SECRET_ID`);
  } else if (!directory.listAccessKeys(root).some((k) => k.status === "Enabled")) {
    const { record, secretKey } = await directory.createAccessKey(root, "root access key (generated)", opts.nowMs);
    generated.SecretId = record.secretId;
    generated.SecretKey = secretKey;
  }

  if (opts.suppliedToken) {
    const supplied = opts.suppliedToken;
    if (!directory.hasTokenHash(supplied))
      await directory.createToken(root, "root token (KMS_ROOT_TOKEN)", opts.nowMs, supplied).catch((err: unknown) => {
        // Another replica starting with the same KMS_ROOT_TOKEN registered it first.
        if (!(err instanceof KmsError && err.code === "ResourceInUse" && directory.hasTokenHash(supplied))) throw err;
      });
    opts.log("kms: root bearer token from KMS_ROOT_TOKEN");
  } else if (directory.listTokens(root).length === 0) {
    const { token } = await directory.createToken(root, "root token (generated)", opts.nowMs);
    generated.Token = token;
  }

  if (Object.keys(generated).length === 0) return;
  const file = join(opts.dataDir, "root-credentials.json");
  await writeFile(file, `${JSON.stringify({ Uin: root.toString(), ...generated }, null, 2)}\n`, { mode: 0o600 });
  opts.warn(`kms: generated root credentials (${Object.keys(generated).join(", ")}) into ${file} (mode 0600): move them to a secret store and delete the file`);
}
