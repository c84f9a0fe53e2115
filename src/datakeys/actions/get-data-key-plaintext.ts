import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetDataKeyPlaintextRequest, GetDataKeyPlaintextResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { DataKeysDeps } from "../deps.js";
import { findDataKey } from "../records.js";
import { unsealBlob } from "../sealing.js";
import { assertDataKeyAction, cmkUseOf } from "../state.js";

/**
 * GetDataKeyPlaintext: the data key must be Enabled (state.ts), then its
 * ciphertext is opened under its CMK, whose own state decides as it does for
 * Decrypt (the key domain's codes); the plaintext is answered in clear or
 * encrypted to the caller's public key.
 */
export async function getDataKeyPlaintext(deps: DataKeysDeps, req: GetDataKeyPlaintextRequest, call: CallContext): Promise<MessageInitShape<typeof GetDataKeyPlaintextResponseSchema>> {
  const record = await findDataKey(deps, call, req.dataKeyId);
  assertDataKeyAction(record, "GetDataKeyPlaintext");
  if (cmkUseOf("GetDataKeyPlaintext") !== "decrypt") throw new Error("datakeys: GetDataKeyPlaintext must open its ciphertext under the CMK");
  const opened = await deps.cipher.open(call, unsealBlob(deps.rootKey, record), record.encryptionContext);
  // The blob was sealed to this record's place, so it names the record's CMK; anything else is damage.
  if (opened.keyId !== record.keyId) throw new KmsError("InternalError", `data key ${record.dataKeyId} opened under another key`);
  return { plaintext: await deps.cipher.reply(opened.plaintext, req.encryptionPublicKey, req.encryptionAlgorithm) };
}
