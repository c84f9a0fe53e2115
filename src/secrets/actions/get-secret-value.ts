import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetSecretValueRequest, GetSecretValueResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { assertInWindow, assertSecretAction, assertVersionAction } from "../state.js";
import { assertSecretName, assertVersionId } from "../validate.js";
import { openValue } from "../values.js";
import { findVersion, scopeOf, secretNotFound } from "./common.js";

/** GetSecretValue: an Enabled secret's Enabled version, inside its validity window, decrypted by its CMK. */
export async function getSecretValue(deps: SecretsDeps, req: GetSecretValueRequest, call: CallContext): Promise<MessageInitShape<typeof GetSecretValueResponseSchema>> {
  assertVersionId(req.versionId);
  if (req.encryptionPublicKey !== "" || req.encryptionAlgorithm !== "")
    throw new KmsError("InvalidParameterValue", "EncryptionPublicKey and EncryptionAlgorithm are not supported: leave them empty");
  assertSecretName(req.secretName);
  // The record and the value in one store round trip: this is the hot path.
  const [secret, sealed] = await deps.repo.getWithValue(scopeOf(call), req.secretName, req.versionId);
  if (!secret) throw secretNotFound(req.secretName);
  assertSecretAction(secret, "GetSecretValue");
  const version = findVersion(secret, req.versionId);
  assertVersionAction(secret, version, "GetSecretValue");
  assertInWindow(secret, version, deps.clock.now());
  const value = await openValue(deps, call, secret, version.versionId, sealed);
  return value.kind === "binary"
    ? { secretName: secret.name, versionId: version.versionId, secretBinary: value.bytes, secretString: "" }
    : { secretName: secret.name, versionId: version.versionId, secretBinary: new Uint8Array(0), secretString: Buffer.from(value.bytes).toString("utf8") };
}
