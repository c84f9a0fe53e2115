import type { MessageInitShape } from "@bufbuild/protobuf";
import { DataKeySpec, type GenerateDataKeyRequest, type GenerateDataKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { canonicalContext } from "../../crypto/context.js";
import { replyPlaintext } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import { sealUnderKey } from "../cmk-blobs.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";
import { assertContextLength, assertNumberOfBytes } from "../validate.js";

/** The data key length: NumberOfBytes wins over KeySpec, as the API documents; one of them is required. */
function dataKeyLength(req: GenerateDataKeyRequest): number {
  if (req.numberOfBytes !== 0) {
    assertNumberOfBytes(req.numberOfBytes);
    return req.numberOfBytes;
  }
  if (req.keySpec === DataKeySpec.AES_128) return 16;
  if (req.keySpec === DataKeySpec.AES_256) return 32;
  if (req.keySpec === DataKeySpec.UNSPECIFIED) throw new KmsError("InvalidParameter", "KeySpec or NumberOfBytes is required");
  throw new KmsError("InvalidParameterValue", "KeySpec must be AES_128 or AES_256");
}

/** GenerateDataKey: fresh random bytes, returned in plaintext and encrypted under the CMK. */
export async function generateDataKey(
  deps: KmsDeps,
  req: GenerateDataKeyRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GenerateDataKeyResponseSchema>> {
  const length = dataKeyLength(req);
  assertContextLength(req.encryptionContext);
  const context = canonicalContext(req.encryptionContext);
  const use = await resolveKey(deps, call, "encrypt", req.keyId);
  const plaintext = deps.random(length);
  const ciphertextBlob = sealUnderKey(deps, use, plaintext, context);
  return { keyId: use.keyId, plaintext: await replyPlaintext(deps, plaintext, req.encryptionPublicKey, req.encryptionAlgorithm), ciphertextBlob };
}
