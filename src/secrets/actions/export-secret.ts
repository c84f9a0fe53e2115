import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExportSecretRequest, ExportSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { randomBytes } from "../../crypto/random.js";
import { unixSeconds } from "../../clock.js";
import type { SecretsDeps } from "../deps.js";
import { encodePackage, packageKeyContext, type PackageBody, type PackageVersion } from "../package.js";
import { assertSecretAction, assertVersionAction } from "../state.js";
import { assertKmsKeyId } from "../validate.js";
import { openValue } from "../values.js";
import { loadSecret, scopeOf } from "./common.js";

/**
 * ExportSecret: the whole secret (metadata, every version with its state,
 * window and value) sealed under a fresh data key that the named CMK wraps
 * (package.ts). Writes nothing.
 */
export async function exportSecret(deps: SecretsDeps, req: ExportSecretRequest, call: CallContext): Promise<MessageInitShape<typeof ExportSecretResponseSchema>> {
  assertKmsKeyId(req.kmsKeyId);
  const secret = await loadSecret(deps, scopeOf(call), req.secretName);
  assertSecretAction(secret, "ExportSecret");
  const cleartext: Uint8Array[] = [];
  try {
    const versions: PackageVersion[] = [];
    for (const v of secret.versions) {
      const state = assertVersionAction(secret, v, "ExportSecret");
      const value = await openValue(deps, call, secret, v.versionId);
      cleartext.push(value.bytes);
      versions.push({ ...v, state, kind: value.kind, value: Buffer.from(value.bytes).toString("base64") });
    }
    const body: PackageBody = {
      secret: {
        name: secret.name,
        description: secret.description,
        status: secret.status,
        secretType: secret.secretType,
        createTime: secret.createTime,
        creatorUin: secret.creatorUin,
        additionalConfig: secret.additionalConfig,
        tags: secret.tags,
        ...(secret.ssh ? { ssh: secret.ssh } : {}),
      },
      versions,
    };
    const dataKey = await deps.cipher.generateDataKey(call, req.kmsKeyId, packageKeyContext(secret.name));
    try {
      const header = {
        format: 1 as const,
        secretName: secret.name,
        kmsKeyId: req.kmsKeyId,
        wrappedKey: Buffer.from(dataKey.blob).toString("base64"),
        exportedAt: unixSeconds(deps.clock.now()),
      };
      const pkg = encodePackage(header, body, dataKey.plaintext, randomBytes);
      return { secretName: secret.name, package: pkg, kmsKeyId: req.kmsKeyId, versionCount: versions.length };
    } finally {
      dataKey.plaintext.fill(0);
    }
  } finally {
    for (const b of cleartext) b.fill(0);
  }
}
