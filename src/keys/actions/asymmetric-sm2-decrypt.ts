import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AsymmetricSm2DecryptRequest, AsymmetricSm2DecryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import type { CallContext } from "../../call.js";
import { runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";

const MAX_SM2_CIPHERTEXT = 256;

/** AsymmetricSm2Decrypt: C1C3C2 in the ASN.1 form of GM/T 0009, at most 256 bytes, as the API documents. */
export async function asymmetricSm2Decrypt(deps: KmsDeps, req: AsymmetricSm2DecryptRequest, call: CallContext): Promise<MessageInitShape<typeof AsymmetricSm2DecryptResponseSchema>> {
  if (req.ciphertext.length < 1 || req.ciphertext.length > MAX_SM2_CIPHERTEXT) throw new KmsError("InvalidParameterValue", `Ciphertext must be 1 to ${MAX_SM2_CIPHERTEXT} bytes`);
  const use = await resolveKey(deps, call, "asymmetric-decrypt", req.keyId, { spec: "SM2" });
  const op = { op: "decrypt", spec: use.spec, privateKey: use.privateKey, ciphertext: req.ciphertext, algorithm: "SM2_C1C3C2_ASN1" } as const;
  return { keyId: use.key.keyId, plaintext: await runEngine(deps, op, "FailedOperation.DecryptError", "decryption failed") };
}
