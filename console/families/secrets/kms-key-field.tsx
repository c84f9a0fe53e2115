/**
 * A KMS key id input with the account's Enabled ENCRYPT_DECRYPT keys offered
 * as suggestions (a datalist, so any id can still be typed). Empty means the
 * API's default (Secrets Manager's default key, or the key a package names).
 */
import { useId } from "preact/hooks";
import { KeyState, KeyUsage } from "../../../gen/kms/v1/kms_pb.js";
import type { Api } from "../../core/api.js";
import { Field, useLoad } from "../../core/ui.js";

export function KmsKeyField({ api, label, value, onValue, hint }: { api: Api; label: string; value: string; onValue: (v: string) => void; hint: string }) {
  const listId = useId();
  // A caller without kms:ListKeyDetail still types an id; the list is only a help.
  const keys = useLoad(() => api.kms.listKeyDetail({ keyState: KeyState.ENABLED, keyUsage: KeyUsage.ENCRYPT_DECRYPT, limit: 200 }), [api]);
  return (
    <>
      <Field label={label} value={value} onValue={onValue} hint={keys.failure ? `${hint} (The key list is not available: ${keys.failure.code}.)` : hint} autocomplete="off" list={listId} />
      <datalist id={listId}>
        {(keys.data?.keyMetadatas ?? []).map((k) => (
          <option key={k.keyId} value={k.keyId}>
            {k.alias}
          </option>
        ))}
      </datalist>
    </>
  );
}
