import type { MessageInitShape } from "@bufbuild/protobuf";
import { SshKeyType, type CreateSSHKeyPairSecretRequest, type CreateSSHKeyPairSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { randomAlphanumeric } from "../../crypto/random.js";
import { generateSshKeyPair } from "../../crypto/ssh-keys.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { subjectOf } from "../present.js";
import type { SecretRecord, SecretScope, SshAlgorithm } from "../secret.js";
import {
  assertDescription,
  assertEncryptType,
  assertKmsKeyId,
  assertNoHsmCluster,
  assertSecretName,
  assertSshKeyName,
  assertTags,
  DEFAULT_VERSION_ID,
  isSshKeyName,
} from "../validate.js";
import { sealValue } from "../values.js";
import { assertRoomFor, countLock, resolveKmsKey, scopeOf, secretExists, tagsOf, underSecretLocks } from "./common.js";

/** The version id that holds an SSH key pair secret's private key. */
export const SSH_VERSION_ID = DEFAULT_VERSION_ID;

/** The contract-only ssh_key_type: Ed25519 unless RSA-3072 is asked for (API 3.0 has no such field). */
const ALGORITHMS: Partial<Record<SshKeyType, SshAlgorithm>> = {
  [SshKeyType.UNSPECIFIED]: "ed25519",
  [SshKeyType.ED25519]: "ed25519",
  [SshKeyType.RSA_3072]: "rsa-3072",
};

/** A key pair id as CVM spells them: "skey-" and 8 lower-case letters and digits, unused in the scope. */
async function newSshKeyId(deps: SecretsDeps, scope: SecretScope): Promise<string> {
  for (;;) {
    const id = `skey-${randomAlphanumeric(8).toLowerCase()}`;
    if ((await deps.repo.sshKeyOwner(scope, id)) === undefined) return id;
  }
}

/**
 * CreateSSHKeyPairSecret: generates an SSH key pair (Ed25519, or RSA-3072 over
 * gRPC), keeps the public key in the record and the OpenSSH private key as the
 * secret's one version, encrypted by its CMK; the key id is indexed for
 * GetSSHKeyPairValue. One batch.
 */
export async function createSSHKeyPairSecret(
  deps: SecretsDeps,
  req: CreateSSHKeyPairSecretRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CreateSSHKeyPairSecretResponseSchema>> {
  assertSecretName(req.secretName);
  assertDescription(req.description);
  assertEncryptType(req.encryptType);
  assertNoHsmCluster(req.kmsHsmClusterId);
  if (req.kmsKeyId !== "") assertKmsKeyId(req.kmsKeyId);
  if (req.sshKeyName !== "") assertSshKeyName(req.sshKeyName);
  if (req.projectId < 0n || req.projectId > BigInt(Number.MAX_SAFE_INTEGER)) throw new KmsError("InvalidParameterValue", "ProjectId must be 0 or more");
  const algorithm = ALGORITHMS[req.sshKeyType];
  if (algorithm === undefined) throw new KmsError("InvalidParameterValue", "ssh_key_type must be ED25519 or RSA_3072");
  const tags = tagsOf(req.tags);
  assertTags(tags);
  const scope = scopeOf(call);
  if (await deps.repo.get(scope, req.secretName)) throw secretExists(req.secretName);
  assertRoomFor(deps, scope);

  const { kmsKeyId, kmsKeyType } = await resolveKmsKey(deps, call, req.kmsKeyId);
  const now = deps.clock.now();
  // Another replica may take the name (or, astronomically, the key pair id) meanwhile: the write is refused and re-run.
  return underSecretLocks(deps, scope, req.secretName, async () => {
    if (await deps.repo.get(scope, req.secretName)) throw secretExists(req.secretName);
    assertRoomFor(deps, scope);
    const keyId = await newSshKeyId(deps, scope);
    const keyName = req.sshKeyName !== "" ? req.sshKeyName : isSshKeyName(req.secretName) ? req.secretName : keyId.replace("-", "_");
    const pair = await generateSshKeyPair(algorithm, keyName);
    const record: SecretRecord = {
      name: req.secretName,
      ...scope,
      description: req.description,
      kmsKeyId,
      kmsKeyType,
      creatorUin: call.principal.uin.toString(),
      status: "Enabled",
      secretType: 2,
      createTime: now,
      additionalConfig: "",
      tags,
      versions: [{ versionId: SSH_VERSION_ID, state: "Enabled", createTime: now }],
      ssh: { keyId, keyName, projectId: Number(req.projectId), algorithm, publicKey: pair.publicKey },
    };
    const privateKey = Buffer.from(pair.privateKey, "utf8");
    const sealed = await sealValue(deps, call, record, SSH_VERSION_ID, { kind: "string", bytes: privateKey });
    privateKey.fill(0);
    const ops = [deps.repo.putRecord(record), deps.repo.putValue(scope, record.name, SSH_VERSION_ID, sealed), deps.repo.putSshKey(scope, keyId, record.name)];
    await deps.repo.commit(ops, call.journal, [subjectOf(record.name)], { scope, delta: 1 }, [deps.repo.absentRecord(scope, record.name), deps.repo.absentSshKey(scope, keyId)]);
    return { secretName: record.name, sshKeyId: keyId, sshKeyName: keyName, tagCode: 0, tagMsg: "Success" };
  }, [countLock(scope)]);
}
