/**
 * A data key at rest. Its ciphertext under the CMK is what the API hands
 * out, so it cannot carry this service's context; it is therefore sealed again
 * under the root key with the record's place as the label (account, region,
 * data key id). A ciphertext copied onto another data key's record, or into
 * another account or region, fails to unseal instead of being served there.
 */
import { UnsealError, type RootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import type { DataKeyRecord, DataKeyScope } from "./data-key.js";

/** The seal label of a data key's stored ciphertext: its place. */
export function label(scope: DataKeyScope, dataKeyId: string): string {
  return `kms/v1/datakeys/${scope.account}/${scope.region}/${dataKeyId}`;
}

/** The CMK blob as a record stores it (base64 of the sealed bytes). */
export function sealBlob(rootKey: RootKey, scope: DataKeyScope, dataKeyId: string, blob: Uint8Array): string {
  return Buffer.from(rootKey.seal(blob, label(scope, dataKeyId))).toString("base64");
}

/** The record's CMK blob; a record that does not unseal is damaged storage, never the caller's fault. */
export function unsealBlob(rootKey: RootKey, record: DataKeyRecord): Uint8Array {
  try {
    return rootKey.unseal(Buffer.from(record.sealedBlob, "base64"), label(record, record.dataKeyId));
  } catch (err) {
    if (err instanceof UnsealError) throw new KmsError("InternalError", `the stored ciphertext of data key ${record.dataKeyId} does not unseal`, err);
    throw err;
  }
}
