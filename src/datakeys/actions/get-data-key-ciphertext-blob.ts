import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetDataKeyCiphertextBlobRequest, GetDataKeyCiphertextBlobResponseSchema } from "../../../gen/kms/v1/datakeys_pb.js";
import type { CallContext } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { findDataKey } from "../records.js";
import { unsealBlob } from "../sealing.js";
import { assertDataKeyAction } from "../state.js";

/** GetDataKeyCiphertextBlob: an Enabled data key's ciphertext under its CMK, as Decrypt takes it. */
export async function getDataKeyCiphertextBlob(
  deps: DataKeysDeps,
  req: GetDataKeyCiphertextBlobRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GetDataKeyCiphertextBlobResponseSchema>> {
  const record = await findDataKey(deps, call, req.dataKeyId);
  assertDataKeyAction(record, "GetDataKeyCiphertextBlob");
  return { ciphertextBlob: unsealBlob(deps.rootKey, record) };
}
