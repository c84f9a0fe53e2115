import type { MessageInitShape } from "@bufbuild/protobuf";
import { KeyUsage as KeyUsageEnum, type CreateKeyRequest, type CreateKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { newKeyId } from "../../crypto/random.js";
import { symmetricAlgorithmForKeyType } from "../../crypto/registry.js";
import type { CallContext, KmsDeps } from "../deps.js";
import type { KeyRecord, KeyUsage } from "../key.js";
import { aliasLock } from "../locks.js";
import { keyMetadata } from "../present.js";
import { assertAlias, assertDescription, assertTags } from "../validate.js";
import { newRandomVersion, withVersion } from "../versions.js";

function keyUsageOf(usage: KeyUsageEnum): KeyUsage {
  if (usage === KeyUsageEnum.UNSPECIFIED || usage === KeyUsageEnum.ENCRYPT_DECRYPT) return "ENCRYPT_DECRYPT";
  throw new KmsError("InvalidParameterValue.InvalidKeyUsage", "KeyUsage is not supported");
}

/** Type 1 (or unset): material generated here; 2: EXTERNAL, waits for imported material. */
function originOf(type: number): KeyRecord["origin"] {
  if (type === 0 || type === 1) return "TENCENT_KMS";
  if (type === 2) return "EXTERNAL";
  throw new KmsError("InvalidParameterValue.InvalidType", "Type must be 1 (KMS-generated material) or 2 (EXTERNAL)");
}

/** CreateKey: validate → build record (and first version) → check alias under its lock → one batch. */
export async function createKey(deps: KmsDeps, req: CreateKeyRequest, call: CallContext): Promise<MessageInitShape<typeof CreateKeyResponseSchema>> {
  assertAlias(req.alias);
  assertDescription(req.description);
  const keyUsage = keyUsageOf(req.keyUsage);
  const origin = originOf(req.type);
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  assertTags(tags);
  if (deps.repo.count >= deps.settings.cmkLimit)
    throw new KmsError("LimitExceeded.CmkLimitExceeded", `this service stores at most ${deps.settings.cmkLimit} keys`);

  const algorithm = symmetricAlgorithmForKeyType(deps.settings.defaultKeyType);
  const now = deps.clock.now();
  const base: KeyRecord = {
    keyId: newKeyId(),
    alias: req.alias,
    description: req.description,
    createTime: now,
    keyState: origin === "EXTERNAL" ? "PendingImport" : "Enabled",
    keyUsage,
    keyType: algorithm.keyType,
    algorithm: algorithm.name,
    origin,
    creatorUin: call.uin.toString(),
    owner: "user",
    tags,
    rotation: { enabled: false, rotateDays: 0 },
    versions: [],
    versionsIssued: 0,
  };
  const ops = [deps.repo.putAlias(base.alias, base.keyId)];
  let key = base;
  if (origin === "TENCENT_KMS") {
    const first = newRandomVersion(deps, base, now);
    key = withVersion(base, first.info);
    ops.push(first.op);
  }
  ops.push(deps.repo.putKey(key));

  await deps.locks.run([aliasLock(key.alias)], async () => {
    if ((await deps.repo.aliasOwner(key.alias)) !== undefined)
      throw new KmsError("InvalidParameterValue.AliasAlreadyExists", `alias "${key.alias}" is already in use`);
    await deps.repo.commit(ops, 1);
  });

  const md = keyMetadata(key);
  return { keyId: md.keyId, alias: md.alias, createTime: md.createTime, description: md.description, keyState: md.keyState, keyUsage: md.keyUsage, tagCode: 0, tagMsg: "Success" };
}

