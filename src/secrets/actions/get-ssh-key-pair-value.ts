import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetSSHKeyPairValueRequest, GetSSHKeyPairValueResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import type { SecretRecord, SecretScope } from "../secret.js";
import { assertSecretAction } from "../state.js";
import { openValue } from "../values.js";
import { loadSecret, scopeOf, secretNotFound } from "./common.js";
import { SSH_VERSION_ID } from "./create-ssh-key-pair-secret.js";

/** The secret a request names: by SecretName, by SSHKeyId through the index, or both when they agree. */
async function secretOf(deps: SecretsDeps, scope: SecretScope, req: GetSSHKeyPairValueRequest): Promise<SecretRecord> {
  if (req.secretName === "" && req.sshKeyId === "") throw new KmsError("MissingParameter", "SecretName or SSHKeyId is required");
  if (req.sshKeyId === "") return loadSecret(deps, scope, req.secretName);
  const owner = await deps.repo.sshKeyOwner(scope, req.sshKeyId);
  if (owner === undefined) throw new KmsError("ResourceNotFound", `SSH key pair ${req.sshKeyId.slice(0, 64)} does not exist`);
  if (req.secretName !== "" && req.secretName !== owner)
    throw new KmsError("InvalidParameterValue", `SSH key pair ${req.sshKeyId} is not held by secret ${req.secretName}`);
  const secret = await deps.repo.get(scope, owner);
  if (!secret) throw secretNotFound(owner);
  return secret;
}

/** GetSSHKeyPairValue: an Enabled SSH key pair secret's public and (decrypted) private key, base64 in the API. */
export async function getSSHKeyPairValue(
  deps: SecretsDeps,
  req: GetSSHKeyPairValueRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GetSSHKeyPairValueResponseSchema>> {
  const secret = await secretOf(deps, scopeOf(call), req);
  assertSecretAction(secret, "GetSSHKeyPairValue");
  const ssh = secret.ssh;
  if (!ssh) throw new KmsError("InternalError", `secret ${secret.name} has no key pair record`);
  const privateKey = await openValue(deps, call, secret, SSH_VERSION_ID);
  return {
    sshKeyId: ssh.keyId,
    publicKey: Buffer.from(ssh.publicKey, "utf8"),
    privateKey: privateKey.bytes,
    projectId: BigInt(ssh.projectId),
    sshKeyDescription: secret.description,
    sshKeyName: ssh.keyName,
  };
}
