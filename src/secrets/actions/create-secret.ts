import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateSecretRequest, CreateSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { subjectOf } from "../present.js";
import type { SecretRecord } from "../secret.js";
import {
  assertAdditionalConfig,
  assertDescription,
  assertEncryptType,
  assertKmsKeyId,
  assertNoHsmCluster,
  assertSecretName,
  assertTags,
  assertVersionId,
  DEFAULT_VERSION_ID,
  valueOf,
} from "../validate.js";
import { sealValue } from "../values.js";
import { assertRoomFor, countLock, resolveKmsKey, scopeOf, secretExists, tagsOf, underSecretLocks } from "./common.js";

/** CreateSecret: validate → resolve the CMK (the default one is created on first use) → encrypt the first version → check name and limit under locks → one batch. */
export async function createSecret(deps: SecretsDeps, req: CreateSecretRequest, call: CallContext): Promise<MessageInitShape<typeof CreateSecretResponseSchema>> {
  assertSecretName(req.secretName);
  const versionId = req.versionId === "" ? DEFAULT_VERSION_ID : req.versionId;
  assertVersionId(versionId);
  assertDescription(req.description);
  if (req.secretType !== 0)
    throw new KmsError("InvalidParameterValue", "SecretType must be 0: CreateSecret makes user-defined secrets (CreateSSHKeyPairSecret makes SSH key pairs)");
  assertEncryptType(req.encryptType);
  assertNoHsmCluster(req.kmsHsmClusterId);
  assertAdditionalConfig(req.additionalConfig);
  if (req.kmsKeyId !== "") assertKmsKeyId(req.kmsKeyId);
  const tags = tagsOf(req.tags);
  assertTags(tags);
  const value = valueOf(req.secretBinary, req.secretString);
  const scope = scopeOf(call);
  // Refuse what is certain to fail before any key work (and before a default CMK is made for nothing).
  if (await deps.repo.get(scope, req.secretName)) throw secretExists(req.secretName);
  assertRoomFor(deps, scope);

  const { kmsKeyId, kmsKeyType } = await resolveKmsKey(deps, call, req.kmsKeyId);
  const now = deps.clock.now();
  const record: SecretRecord = {
    name: req.secretName,
    ...scope,
    description: req.description,
    kmsKeyId,
    kmsKeyType,
    creatorUin: call.principal.uin.toString(),
    status: "Enabled",
    secretType: 0,
    createTime: now,
    additionalConfig: req.additionalConfig,
    tags,
    versions: [{ versionId, state: "Enabled", createTime: now }],
  };
  const sealed = await sealValue(deps, call, record, versionId, value);
  if (value.kind === "string") value.bytes.fill(0);

  // Another replica may take the name meanwhile: then this write is refused, re-run, and answers SecretExists.
  await underSecretLocks(
    deps,
    scope,
    record.name,
    async () => {
      if (await deps.repo.get(scope, record.name)) throw secretExists(record.name);
      assertRoomFor(deps, scope);
      const ops = [deps.repo.putRecord(record), deps.repo.putValue(scope, record.name, versionId, sealed)];
      await deps.repo.commit(ops, call.journal, [subjectOf(record.name)], { scope, delta: 1 }, [deps.repo.absentRecord(scope, record.name)]);
    },
    [countLock(scope)],
  );
  return { secretName: record.name, versionId, tagCode: 0, tagMsg: "Success" };
}
