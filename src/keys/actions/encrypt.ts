import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EncryptRequest, EncryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { canonicalContext } from "../../crypto/context.js";
import type { CallContext } from "../../call.js";
import { sealUnderKey } from "../cmk-blobs.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";
import { assertContextLength, assertPlaintext } from "../validate.js";

/** Encrypt: up to 4096 bytes under the key's primary version, bound to the encryption context. */
export async function encrypt(deps: KmsDeps, req: EncryptRequest, call: CallContext): Promise<MessageInitShape<typeof EncryptResponseSchema>> {
  assertPlaintext(req.plaintext);
  assertContextLength(req.encryptionContext);
  const context = canonicalContext(req.encryptionContext);
  const use = await resolveKey(deps, call, "encrypt", req.keyId);
  return { ciphertextBlob: sealUnderKey(deps, use, req.plaintext, context), keyId: use.keyId };
}
