import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImportKeyMaterialRequest, ImportKeyMaterialResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { AsymmetricInputError } from "../../crypto/asymmetric/types.js";
import { fingerprintsEqual, materialFingerprint } from "../../crypto/fingerprint.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { ImportTokenRecord, KeyRecord } from "../key.js";
import { changeKeys } from "../change.js";
import { resolveKey } from "../resolver.js";
import { assertTransition } from "../state.js";
import { assertKeyId } from "../validate.js";
import { forgetMaterial, sealVersion, symmetricAlgorithmOf } from "../version-material.js";
import { importTokenLabel } from "./get-parameters-for-import.js";

/** Largest ValidTo the API accepts (Unix seconds). */
const MAX_VALID_TO = 2_147_443_200;

function decryptMaterialError(): KmsError {
  return new KmsError("InvalidParameter.DecryptMaterialError", "EncryptedKeyMaterial could not be unwrapped into key material of the right length");
}

/**
 * Unwraps with the token's private key, in the engine's worker threads (the
 * key is unsealed here and sent as bytes, used once, zeroed on both sides).
 * PKCS#1 v1.5 uses implicit rejection: bad padding yields a pseudo-random
 * message, which then fails the length check with the same error as any
 * other bad input, so there is no oracle.
 */
async function unwrap(deps: KmsDeps, token: ImportTokenRecord, wrapped: Uint8Array): Promise<Uint8Array> {
  const pkcs8 = deps.rootKey.unseal(Buffer.from(token.sealedPrivateKey, "base64"), importTokenLabel(token.token));
  try {
    return await deps.asymmetric.run({ op: "decrypt", spec: "RSA_2048", privateKey: pkcs8, ciphertext: wrapped, algorithm: token.wrappingAlgorithm, singleUse: true });
  } catch (err) {
    if (err instanceof AsymmetricInputError) throw decryptMaterialError();
    throw err;
  } finally {
    pkcs8.fill(0);
  }
}

/** ImportKeyMaterial: the key gets its material as version 1 and becomes Enabled; the token is used up. */
export async function importKeyMaterial(deps: KmsDeps, req: ImportKeyMaterialRequest, call: CallContext): Promise<MessageInitShape<typeof ImportKeyMaterialResponseSchema>> {
  assertKeyId(req.keyId);
  if (req.importToken === "") throw new KmsError("InvalidParameterValue", "ImportToken is required");
  if (req.encryptedKeyMaterial.length === 0) throw new KmsError("InvalidParameterValue", "EncryptedKeyMaterial is required");
  const now = deps.clock.now();
  const validToSeconds = Number(req.validTo);
  if (validToSeconds !== 0 && (validToSeconds <= Math.floor(now / 1000) || validToSeconds > MAX_VALID_TO))
    throw new KmsError("InvalidParameterValue", `ValidTo must be 0 (never) or a Unix time after now and at most ${MAX_VALID_TO}`);

  await changeKeys(deps, [req.keyId], async () => {
    const key = await resolveKey(deps, call, "import", req.keyId);
    const imported = assertTransition(key, "ImportKeyMaterial");
    const token = await deps.repo.getImportToken(req.importToken);
    if (!token || token.keyId !== key.keyId) throw new KmsError("InvalidParameterValue", "ImportToken is unknown, already used, or issued for another key");
    if (token.validTo <= now) throw new KmsError("ResourceUnavailable.TokenExpired", "ImportToken has expired: call GetParametersForImport again");

    const material = await unwrap(deps, token, req.encryptedKeyMaterial);
    try {
      if (material.length !== symmetricAlgorithmOf(key).keyLength) throw decryptMaterialError();
      const fingerprint = materialFingerprint(key.keyId, material);
      if (key.materialFingerprint !== undefined && !fingerprintsEqual(key.materialFingerprint, fingerprint))
        throw new KmsError("InvalidParameterValue.MaterialNotMatch", `key ${key.keyId} was imported with other material; only the same material can be imported again`);
      // Imported material is always version 1, so ciphertext from before a delete-and-reimport still decrypts.
      const v1 = sealVersion(deps, key, 1, material, now);
      const after: KeyRecord = { ...key, keyState: imported, versions: [v1.info], versionsIssued: 1, materialFingerprint: fingerprint };
      const ops = [v1.op, deps.repo.delImportToken(token.token), deps.repo.delSchedule("import-token-expiry", token.validTo, `${key.keyId}/${token.token}`)];
      if (validToSeconds !== 0) {
        after.validTo = validToSeconds * 1000;
        ops.push(deps.repo.putSchedule("material-expiry", after.validTo, key.keyId));
      } else {
        delete after.validTo;
      }
      await deps.repo.commit([...ops, deps.repo.putKey(after)], call.journal, [deps.repo.guardOf(key)]);
    } finally {
      material.fill(0);
    }
  });
  forgetMaterial(deps, req.keyId);
  return {};
}
