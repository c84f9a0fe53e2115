import type { MessageInitShape } from "@bufbuild/protobuf";
import type { PostQuantumCryptoVerifyRequest, PostQuantumCryptoVerifyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import { runEngine } from "../asymmetric.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";
import { assertRawMessage } from "../usages.js";

/** PostQuantumCryptoVerify: an invalid signature is SignatureValid false, not an error. */
export async function postQuantumCryptoVerify(deps: KmsDeps, req: PostQuantumCryptoVerifyRequest, call: CallContext): Promise<MessageInitShape<typeof PostQuantumCryptoVerifyResponseSchema>> {
  assertRawMessage(req.message);
  const use = await resolveKey(deps, call, "pq-verify", req.keyId);
  const op = { op: "verify", spec: use.spec, publicKey: use.publicKey, data: req.message, signature: req.signatureValue, messageType: "RAW", algorithm: "ML_DSA_65" } as const;
  return { signatureValid: await runEngine(deps, op, "InvalidParameterValue", "the signature cannot be checked") };
}
