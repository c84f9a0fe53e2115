import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AsymmetricRsaDecryptRequest, AsymmetricRsaDecryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import { runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";

/**
 * AsymmetricRsaDecrypt: OAEP (SHA-1, SHA-256) or PKCS#1 v1.5. The latter uses
 * implicit rejection: bad padding yields a pseudo-random plaintext, so the
 * answer never tells a caller whether the padding was valid.
 */
export async function asymmetricRsaDecrypt(deps: KmsDeps, req: AsymmetricRsaDecryptRequest, call: CallContext): Promise<MessageInitShape<typeof AsymmetricRsaDecryptResponseSchema>> {
  const use = await resolveKey(deps, call, "asymmetric-decrypt", req.keyId, { spec: "RSA_2048", algorithm: req.algorithm });
  const op = { op: "decrypt", spec: use.spec, privateKey: use.privateKey, ciphertext: req.ciphertext, algorithm: req.algorithm } as const;
  return { keyId: use.key.keyId, plaintext: await runEngine(deps, op, "FailedOperation.DecryptError", "decryption failed") };
}
