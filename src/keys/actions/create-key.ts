import type { MessageInitShape } from "@bufbuild/protobuf";
import { KeyUsage as KeyUsageEnum, type CreateKeyRequest, type CreateKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { newKeyId } from "../../crypto/random.js";
import { symmetricAlgorithmForKeyType } from "../../crypto/registry.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { KeyRecord, KeyUsage, KeyVersionInfo } from "../key.js";
import { changeKeys } from "../change.js";
import { aliasLock } from "../locks.js";
import { keyspace } from "../../store/keyspace.js";
import type { BatchOp } from "../../store/store.js";
import { asymmetricSpec } from "../../crypto/asymmetric/registry.js";
import { KEY_USAGE_TO_ENUM, fromEnum, keyMetadata, metadataScope } from "../present.js";
import { callScope } from "../resolver.js";
import { INITIAL_STATE } from "../state.js";
import { ASYMMETRIC_USAGES } from "../usages.js";
import { assertAlias, assertDescription, assertHsmClusterId, assertTags } from "../validate.js";
import { newRandomVersion, sealVersion } from "../version-material.js";
import { withVersion } from "../versions.js";

function keyUsageOf(usage: KeyUsageEnum): KeyUsage {
  if (usage === KeyUsageEnum.UNSPECIFIED) return "ENCRYPT_DECRYPT";
  return fromEnum(KEY_USAGE_TO_ENUM, usage, "KeyUsage", "InvalidParameterValue.InvalidKeyUsage");
}

/** Algorithm and Type of a new key: the configured symmetric family, or the usage's key spec. */
function specOf(deps: KmsDeps, keyUsage: KeyUsage): { algorithm: KeyRecord["algorithm"]; keyType: 2 | 4 } {
  if (keyUsage === "ENCRYPT_DECRYPT") {
    const alg = symmetricAlgorithmForKeyType(deps.settings.defaultKeyType);
    return { algorithm: alg.name, keyType: alg.keyType };
  }
  const spec = asymmetricSpec(ASYMMETRIC_USAGES[keyUsage].spec);
  return { algorithm: spec.name, keyType: spec.keyType };
}

/** The first version: random symmetric material, or a key pair generated off the event loop. */
async function firstVersion(deps: KmsDeps, key: KeyRecord, now: number): Promise<{ op: BatchOp; info: KeyVersionInfo }> {
  if (key.keyUsage === "ENCRYPT_DECRYPT") return newRandomVersion(deps, key, now);
  const pair = await deps.asymmetric.run({ op: "generate", spec: ASYMMETRIC_USAGES[key.keyUsage].spec });
  try {
    return sealVersion(deps, key, 1, pair.privateKey, now, pair.publicKeySpki);
  } finally {
    pair.privateKey.fill(0);
  }
}

/** Type 1 (or unset): material generated here; 2: EXTERNAL, waits for imported material. */
function originOf(type: number): KeyRecord["origin"] {
  if (type === 0 || type === 1) return "TENCENT_KMS";
  if (type === 2) return "EXTERNAL";
  throw new KmsError("InvalidParameterValue.InvalidType", "Type must be 1 (KMS-generated material) or 2 (EXTERNAL)");
}

/** CreateKey: validate → build record (and first version) in the call's account and region → check alias under its lock → one batch. */
export async function createKey(deps: KmsDeps, req: CreateKeyRequest, call: CallContext): Promise<MessageInitShape<typeof CreateKeyResponseSchema>> {
  assertAlias(req.alias);
  assertDescription(req.description);
  const keyUsage = keyUsageOf(req.keyUsage);
  const origin = originOf(req.type);
  if (origin === "EXTERNAL" && keyUsage !== "ENCRYPT_DECRYPT")
    throw new KmsError("InvalidParameterValue.InvalidType", "Type 2 (EXTERNAL) is only for ENCRYPT_DECRYPT keys");
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  assertTags(tags);
  assertHsmClusterId(deps.settings, req.hsmClusterId);
  const scope = callScope(call);
  if ((await deps.repo.countIn(scope)) >= deps.settings.cmkLimit)
    throw new KmsError("LimitExceeded.CmkLimitExceeded", `an account keeps at most ${deps.settings.cmkLimit} keys in a region`);

  const { algorithm, keyType } = specOf(deps, keyUsage);
  const now = deps.clock.now();
  const base: KeyRecord = {
    keyId: newKeyId(),
    account: scope.account,
    region: scope.region,
    alias: req.alias,
    description: req.description,
    createTime: now,
    keyState: INITIAL_STATE[origin],
    keyUsage,
    keyType,
    algorithm,
    origin,
    creatorUin: call.principal.uin.toString(),
    owner: "user",
    tags,
    rotation: { enabled: false, rotateDays: 0 },
    versions: [],
    versionsIssued: 0,
  };
  const ops = [deps.repo.putAlias(scope, base.alias, base.keyId)];
  let key = base;
  if (origin === "TENCENT_KMS") {
    const first = await firstVersion(deps, base, now);
    key = withVersion(base, first.info);
    ops.push(first.op);
  }
  ops.push(deps.repo.putKey(key));

  await changeKeys(
    deps,
    [],
    async () => {
      if ((await deps.repo.aliasOwner(scope, key.alias)) !== undefined)
        throw new KmsError("InvalidParameterValue.AliasAlreadyExists", `alias "${key.alias}" is already in use`);
      // Another replica may take the alias (or, astronomically, the id) meanwhile: then this write is refused and re-run.
      await deps.repo.commit(ops, call.journal, [deps.repo.absent(keyspace.alias(scope.account, scope.region, key.alias)), deps.repo.absent(keyspace.key(key.keyId))]);
    },
    [aliasLock(scope, key.alias)],
  );

  const md = keyMetadata(key, metadataScope(deps));
  return {
    keyId: md.keyId,
    alias: md.alias,
    createTime: md.createTime,
    description: md.description,
    keyState: md.keyState,
    keyUsage: md.keyUsage,
    tagCode: 0,
    tagMsg: "Success",
    hsmClusterId: md.hsmClusterId,
  };
}

