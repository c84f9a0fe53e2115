import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ReEncryptRequest, ReEncryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { canonicalContext } from "../../crypto/context.js";
import type { CallContext } from "../../call.js";
import { openBlob, sealUnderKey } from "../cmk-blobs.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";
import { assertContextLength } from "../validate.js";

/**
 * ReEncrypt: decrypt (proving the caller holds the right context), then
 * encrypt under the destination key's primary version. As in Tencent, a blob
 * that is already under the destination's primary version with the same
 * context comes back unchanged, with ReEncrypted false.
 */
export async function reEncrypt(deps: KmsDeps, req: ReEncryptRequest, call: CallContext): Promise<MessageInitShape<typeof ReEncryptResponseSchema>> {
  assertContextLength(req.sourceEncryptionContext, "SourceEncryptionContext");
  assertContextLength(req.destinationEncryptionContext, "DestinationEncryptionContext");
  const sourceContext = canonicalContext(req.sourceEncryptionContext, "SourceEncryptionContext");
  const destinationContext = canonicalContext(req.destinationEncryptionContext, "DestinationEncryptionContext");
  const source = await openBlob(deps, call, req.ciphertextBlob, sourceContext);
  try {
    const destinationId = req.destinationKeyId === "" ? source.use.keyId : req.destinationKeyId;
    const destination = await resolveKey(deps, call, "encrypt", destinationId, { field: "DestinationKeyId" });
    const unchanged =
      destination.keyId === source.use.keyId && destination.keyVersion === source.use.keyVersion && Buffer.compare(sourceContext, destinationContext) === 0;
    return {
      ciphertextBlob: unchanged ? req.ciphertextBlob : sealUnderKey(deps, destination, source.plaintext, destinationContext),
      keyId: destination.keyId,
      sourceKeyId: source.use.keyId,
      reEncrypted: !unchanged,
    };
  } finally {
    source.plaintext.fill(0);
  }
}
