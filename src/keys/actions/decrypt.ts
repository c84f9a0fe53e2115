import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DecryptRequest, DecryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { canonicalContext } from "../../crypto/context.js";
import type { CallContext } from "../../call.js";
import { replyPlaintext } from "../asymmetric.js";
import { openBlob } from "../cmk-blobs.js";
import type { KmsDeps } from "../deps.js";
import { assertContextLength } from "../validate.js";

/** Decrypt: the blob names its key and version; the context must equal the one bound at encryption. With EncryptionPublicKey the plaintext comes back encrypted to it. */
export async function decrypt(deps: KmsDeps, req: DecryptRequest, call: CallContext): Promise<MessageInitShape<typeof DecryptResponseSchema>> {
  assertContextLength(req.encryptionContext);
  const { use, plaintext } = await openBlob(deps, call, req.ciphertextBlob, canonicalContext(req.encryptionContext));
  return { keyId: use.keyId, plaintext: await replyPlaintext(deps, plaintext, req.encryptionPublicKey, req.encryptionAlgorithm) };
}
