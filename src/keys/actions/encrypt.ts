import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EncryptRequest, EncryptResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { canonicalContext } from "../../crypto/context.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { encryptWithKey } from "../envelope.js";
import { loadKey } from "../resolve.js";
import { assertContextLength, assertPlaintext } from "../validate.js";

/** Encrypt: up to 4096 bytes under the key's newest version, bound to the encryption context. */
export async function encrypt(deps: KmsDeps, req: EncryptRequest, _call: CallContext): Promise<MessageInitShape<typeof EncryptResponseSchema>> {
  assertPlaintext(req.plaintext);
  assertContextLength(req.encryptionContext);
  const context = canonicalContext(req.encryptionContext);
  const key = await loadKey(deps, req.keyId);
  return { ciphertextBlob: await encryptWithKey(deps, key, req.plaintext, context), keyId: key.keyId };
}
