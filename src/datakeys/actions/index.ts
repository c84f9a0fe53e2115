/**
 * The actions table of DataKeyService: one function per RPC, keyed as the
 * service descriptor names its methods, so a missing or misspelt action does
 * not compile and every transport dispatches through it.
 */
import type { DataKeyService } from "../../../gen/kms/v1/datakeys_pb.js";
import type { ActionTable } from "../../call.js";
import type { DataKeysDeps } from "../deps.js";
import { cancelDataKeyDeletion } from "./cancel-data-key-deletion.js";
import { describeDataKey } from "./describe-data-key.js";
import { describeDataKeys } from "./describe-data-keys.js";
import { disableDataKey } from "./disable-data-key.js";
import { disableDataKeys } from "./disable-data-keys.js";
import { enableDataKey } from "./enable-data-key.js";
import { enableDataKeys } from "./enable-data-keys.js";
import { getDataKeyCiphertextBlob } from "./get-data-key-ciphertext-blob.js";
import { getDataKeyPlaintext } from "./get-data-key-plaintext.js";
import { importDataKey } from "./import-data-key.js";
import { listDataKeyDetail } from "./list-data-key-detail.js";
import { listDataKeys } from "./list-data-keys.js";
import { scheduleDataKeyDeletion } from "./schedule-data-key-deletion.js";
import { updateDataKeyDescription } from "./update-data-key-description.js";
import { updateDataKeyName } from "./update-data-key-name.js";

/** MemberAccount(s) are resolved by the pipeline: an action acts in call.uin (or call.accounts for a listing). */
export const dataKeyActions: ActionTable<typeof DataKeyService, DataKeysDeps> = {
  importDataKey,
  listDataKeys,
  listDataKeyDetail,
  describeDataKey,
  describeDataKeys,
  enableDataKey,
  enableDataKeys,
  disableDataKey,
  disableDataKeys,
  getDataKeyPlaintext,
  getDataKeyCiphertextBlob,
  scheduleDataKeyDeletion,
  cancelDataKeyDeletion,
  updateDataKeyName,
  updateDataKeyDescription,
};
