import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DecryptRequest, DecryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { canonicalContext } from "../../crypto/context.js";
import { replyPlaintext } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { decryptWithBlobKey } from "../envelope.js";
import { assertContextLength } from "../validate.js";

/** Decrypt: the blob names its key and version; the context must equal the one bound at encryption. With EncryptionPublicKey the plaintext comes back encrypted to it. */
export async function decrypt(deps: KmsDeps, req: DecryptRequest, _call: CallContext): Promise<MessageInitShape<typeof DecryptResponseSchema>> {
  assertContextLength(req.encryptionContext);
  const { key, plaintext } = await decryptWithBlobKey(deps, req.ciphertextBlob, canonicalContext(req.encryptionContext));
  return { keyId: key.keyId, plaintext: await replyPlaintext(deps, plaintext, req.encryptionPublicKey, req.encryptionAlgorithm) };
}
