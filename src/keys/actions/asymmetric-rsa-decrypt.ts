import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AsymmetricRsaDecryptRequest, AsymmetricRsaDecryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { asymmetricMaterial, runEngine } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertAlgorithm, assertUsageKind, type AsymmetricKeyUsage } from "../usages.js";

/**
 * AsymmetricRsaDecrypt: OAEP (SHA-1, SHA-256) or PKCS#1 v1.5. The latter uses
 * implicit rejection: bad padding yields a pseudo-random plaintext, so the
 * answer never tells a caller whether the padding was valid.
 */
export async function asymmetricRsaDecrypt(
  deps: KmsDeps,
  req: AsymmetricRsaDecryptRequest,
  _call: CallContext,
): Promise<MessageInitShape<typeof AsymmetricRsaDecryptResponseSchema>> {
  const key = await loadKey(deps, req.keyId);
  const usage = assertUsageKind(key, "decrypt", "RSA_2048");
  assertAlgorithm(key.keyUsage as AsymmetricKeyUsage, req.algorithm);
  assertTransition(key, "Decrypt");
  const { privateKey } = await asymmetricMaterial(deps, key);
  const plaintext = await runEngine(
    deps,
    { op: "decrypt", spec: "RSA_2048", privateKey, ciphertext: req.ciphertext, algorithm: req.algorithm },
    "FailedOperation.DecryptError",
    "decryption failed",
  );
  return { keyId: key.keyId, plaintext };
}
