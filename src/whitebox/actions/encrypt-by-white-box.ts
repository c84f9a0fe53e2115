import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EncryptByWhiteBoxRequest, EncryptByWhiteBoxResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { encryptWhiteBoxCbc } from "../../crypto/whitebox/index.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import { assertWhiteBoxAction } from "../state.js";
import { loadKey } from "../transition.js";
import { assertIv, assertKeyId, assertPlaintext } from "../validate.js";

/**
 * EncryptByWhiteBox: standard CBC with PKCS#7 padding under the key (AES-256
 * or SM4), with the IV given or a fresh random one, returned either way. The
 * device decrypts it with the DecryptKey tables; anyone holding the key, with
 * any standard tool.
 */
export async function encryptByWhiteBox(deps: WhiteBoxDeps, req: EncryptByWhiteBoxRequest, call: CallContext): Promise<MessageInitShape<typeof EncryptByWhiteBoxResponseSchema>> {
  assertKeyId(req.keyId);
  assertPlaintext(req.plainText);
  assertIv(req.initializationVector);
  const key = await loadKey(deps, scopeOf(call), req.keyId);
  assertWhiteBoxAction(key, "EncryptByWhiteBox");
  const secret = await deps.repo.material(key, "key");
  try {
    const { iv, ciphertext } = encryptWhiteBoxCbc(key.algorithm, secret, req.plainText, req.initializationVector.length > 0 ? req.initializationVector : undefined);
    return { initializationVector: iv, cipherText: ciphertext };
  } finally {
    secret.fill(0);
  }
}
