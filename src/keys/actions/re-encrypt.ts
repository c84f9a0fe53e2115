import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ReEncryptRequest, ReEncryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { canonicalContext } from "../../crypto/context.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { decryptWithBlobKey, encryptWithKey } from "../envelope.js";
import { assertSymmetric, loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { assertContextLength } from "../validate.js";
import { primaryVersion } from "../versions.js";

/**
 * ReEncrypt: decrypt (proving the caller holds the right context), then
 * encrypt under the destination key's newest version. As in Tencent, a blob
 * that is already under the destination's newest version with the same
 * context comes back unchanged, with ReEncrypted false.
 */
export async function reEncrypt(deps: KmsDeps, req: ReEncryptRequest, _call: CallContext): Promise<MessageInitShape<typeof ReEncryptResponseSchema>> {
  assertContextLength(req.sourceEncryptionContext, "SourceEncryptionContext");
  assertContextLength(req.destinationEncryptionContext, "DestinationEncryptionContext");
  const sourceContext = canonicalContext(req.sourceEncryptionContext, "SourceEncryptionContext");
  const destinationContext = canonicalContext(req.destinationEncryptionContext, "DestinationEncryptionContext");
  const source = await decryptWithBlobKey(deps, req.ciphertextBlob, sourceContext);
  try {
    const destination = req.destinationKeyId === "" ? source.key : await loadKey(deps, req.destinationKeyId, "DestinationKeyId");
    assertSymmetric(destination);
    assertTransition(destination, "Encrypt");
    const unchanged =
      destination.keyId === source.key.keyId &&
      primaryVersion(destination) === source.blob.keyVersion &&
      Buffer.compare(sourceContext, destinationContext) === 0;
    return {
      ciphertextBlob: unchanged ? req.ciphertextBlob : await encryptWithKey(deps, destination, source.plaintext, destinationContext),
      keyId: destination.keyId,
      sourceKeyId: source.key.keyId,
      reEncrypted: !unchanged,
    };
  } finally {
    source.plaintext.fill(0);
  }
}
