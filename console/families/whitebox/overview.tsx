/** A white-box key's details, its state changes (each confirmed first), deletion (a Disabled key only), and its table files. */
import { useState } from "preact/hooks";
import { WhiteBoxKeyStatus } from "../../../gen/kms/v1/whitebox_pb.js";
import { download, toBase64 } from "../../core/bytes.js";
import { count, time } from "../../core/format.js";
import { navigate } from "../../core/router.js";
import { ConfirmButton, Done, Failure, useAction } from "../../core/ui.js";
import { ALGORITHM_NAMES, STATUS_NAMES } from "./enums.js";
import type { WhiteBoxTabProps } from "./key-page.js";

export function WhiteBoxOverview({ api, info, reload }: WhiteBoxTabProps) {
  const [done, setDone] = useState("");
  const tables = useAction();
  const keyId = info.keyId;
  const after = (m: string) => () => {
    setDone(m);
    reload();
  };
  // The files as the device client reads them (client/whitebox): base64 text, as the API's JSON carries them.
  const fileName = (part: "enc" | "dec") => `${info.alias}-${part}.b64`;
  return (
    <>
      <h2>Details</h2>
      <dl class="meta">
        <dt>Key ID</dt>
        <dd>
          <code>{keyId}</code>
        </dd>
        <dt>State</dt>
        <dd>{STATUS_NAMES[info.status]}</dd>
        <dt>Algorithm</dt>
        <dd>{ALGORITHM_NAMES[info.algorithm]}</dd>
        <dt>Description</dt>
        <dd>{info.description || "—"}</dd>
        <dt>Created</dt>
        <dd>{time(info.createTime)}</dd>
        <dt>Creator</dt>
        <dd>{String(info.creatorUin)}</dd>
        <dt>Resource ID</dt>
        <dd>
          <code>{info.resourceId}</code>
        </dd>
        <dt>Devices bound</dt>
        <dd>{info.deviceFingerprintBind ? "yes: every DecryptKey handed out is bound to them" : "no"}</dd>
      </dl>

      <h2>State</h2>
      <div class="row">
        {info.status === WhiteBoxKeyStatus.DISABLED ? (
          <ConfirmButton label="Enable key" title={`Enable ${info.alias}?`} confirmLabel="Enable" onConfirm={() => api.whitebox.enableWhiteBoxKey({ keyId }).then(after("Key enabled."))}>
            <p>EncryptByWhiteBox encrypts with it again.</p>
          </ConfirmButton>
        ) : (
          <ConfirmButton label="Disable key" danger title={`Disable ${info.alias}?`} confirmLabel="Disable" onConfirm={() => api.whitebox.disableWhiteBoxKey({ keyId }).then(after("Key disabled."))}>
            <p>EncryptByWhiteBox refuses it (ResourceUnavailable.KeyDisabled) until it is enabled again. Devices holding its tables still decrypt.</p>
          </ConfirmButton>
        )}
        {info.status === WhiteBoxKeyStatus.DISABLED ? (
          <ConfirmButton
            label="Delete key"
            danger
            title={`Delete ${info.alias} for good?`}
            confirmLabel="Delete"
            onConfirm={() =>
              api.whitebox.deleteWhiteBoxKey({ keyId }).then(() => {
                navigate("#/whitebox");
              })
            }
          >
            <p>The key, its alias, both table files and its device list are deleted at once, for good. Devices that hold its tables keep decrypting what they already have.</p>
          </ConfirmButton>
        ) : (
          <small>Only a Disabled key can be deleted: disable it first.</small>
        )}
      </div>
      {done ? <Done>{done}</Done> : null}

      <h2>Table files</h2>
      <p>
        The DecryptKey file is what a device receives: with it, and the device client (<code>client/whitebox</code>), the device decrypts what EncryptByWhiteBox made, without the key. Treat both files like the
        key. The EncryptKey file ({count(info.encryptKey.length)} bytes) encrypts the same way.
      </p>
      <div class="row">
        <button
          type="button"
          aria-busy={tables.busy ? "true" : undefined}
          onClick={() =>
            void tables.run(async () => {
              // Asked afresh: bound to the key's devices as they are now.
              const r = await api.whitebox.describeWhiteBoxDecryptKey({ keyId });
              download(fileName("dec"), toBase64(r.decryptKey), "text/plain");
            })
          }
        >
          Download DecryptKey
        </button>
        <button type="button" class="secondary" onClick={() => download(fileName("enc"), toBase64(info.encryptKey), "text/plain")}>
          Download EncryptKey
        </button>
      </div>
      <Failure failure={tables.failure} />
    </>
  );
}
