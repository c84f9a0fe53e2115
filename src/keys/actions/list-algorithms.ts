import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AlgorithmInfoSchema, ListAlgorithmsRequest, ListAlgorithmsResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { ASYMMETRIC_USAGES, signs, usageAlgorithms, type AsymmetricKeyUsage } from "../usages.js";

type Info = MessageInitShape<typeof AlgorithmInfoSchema>;

/** ListAlgorithms: exactly what is implemented, read from the usage table and the spec registry. */
export async function listAlgorithms(deps: KmsDeps, _req: ListAlgorithmsRequest, _call: CallContext): Promise<MessageInitShape<typeof ListAlgorithmsResponseSchema>> {
  const asymmetric: Info[] = [];
  const signVerify: Info[] = [];
  for (const keyUsage of Object.keys(ASYMMETRIC_USAGES) as AsymmetricKeyUsage[]) {
    const into = signs(ASYMMETRIC_USAGES[keyUsage].kind) ? signVerify : asymmetric;
    for (const algorithm of usageAlgorithms(keyUsage)) into.push({ keyUsage, algorithm });
  }
  // New symmetric keys use the configured family; both can exist (keys made under the other setting).
  const symmetric: Info[] = [
    { keyUsage: "ENCRYPT_DECRYPT", algorithm: deps.settings.defaultKeyType === "GM" ? "SM4" : "AES_256" },
    { keyUsage: "ENCRYPT_DECRYPT", algorithm: deps.settings.defaultKeyType === "GM" ? "AES_256" : "SM4" },
  ];
  return { symmetricAlgorithms: symmetric, asymmetricAlgorithms: asymmetric, asymmetricSignVerifyAlgorithms: signVerify };
}
