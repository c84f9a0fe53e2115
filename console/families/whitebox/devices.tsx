/**
 * A white-box key's device fingerprints (DescribeWhiteBoxDeviceFingerprints)
 * and their replacement as a whole (OverwriteWhiteBoxDeviceFingerprints; an
 * empty list removes every device). While a key has devices, every DecryptKey
 * the service hands out opens only on them.
 */
import { useEffect, useState } from "preact/hooks";
import { ConfirmButton, Done, Failure, Field, Loading, useLoad } from "../../core/ui.js";
import { FINGERPRINT_PATTERN } from "./enums.js";
import type { WhiteBoxTabProps } from "./key-page.js";

interface Row {
  identity: string;
  description: string;
}

export function Devices({ api, info, reload }: WhiteBoxTabProps) {
  const keyId = info.keyId;
  const [tick, setTick] = useState(0);
  const list = useLoad(() => api.whitebox.describeWhiteBoxDeviceFingerprints({ keyId }), [keyId, tick]);
  const [rows, setRows] = useState<Row[]>([]);
  const [done, setDone] = useState("");
  useEffect(() => {
    if (list.data) setRows(list.data.deviceFingerprints.map((d) => ({ identity: d.identity, description: d.description })));
  }, [list.data]);
  const overwrite = async (next: Row[], message: string) => {
    await api.whitebox.overwriteWhiteBoxDeviceFingerprints({ keyId, deviceFingerprints: next.map((r) => ({ identity: r.identity.trim(), description: r.description })) });
    setDone(message);
    setTick((t) => t + 1);
    reload();
  };
  const devices = list.data?.deviceFingerprints ?? [];
  return (
    <>
      <h2>Devices</h2>
      <p>
        Up to 200 device fingerprints. While the list is not empty, every DecryptKey the service hands out is bound to these devices: it opens only where one of the fingerprints is given. The list is
        replaced as a whole.
      </p>
      {done ? <Done>{done}</Done> : null}
      <Failure failure={list.failure} />
      {list.loading && !list.data ? <Loading what="devices" /> : null}
      {list.data ? (
        devices.length === 0 ? (
          <p>No devices: DecryptKey files are not bound.</p>
        ) : (
          <div class="table-wrap">
            <table class="striped">
              <caption class="visually-hidden">Devices of {info.alias}</caption>
              <thead>
                <tr>
                  <th scope="col">Fingerprint</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {devices.map((d) => (
                  <tr key={d.identity}>
                    <td>
                      <code>{d.identity}</code>
                    </td>
                    <td>{d.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}

      <h3>Edit the list</h3>
      {rows.map((r, i) => (
        <div class="grid tag-row" key={i}>
          <Field
            label={`Fingerprint ${i + 1}`}
            value={r.identity}
            onValue={(identity) => setRows(rows.map((x, j) => (j === i ? { ...x, identity } : x)))}
            invalid={r.identity !== "" && !FINGERPRINT_PATTERN.test(r.identity.trim()) ? "Not of the pattern 8-14-14-14-16 lower-case hex digits" : undefined}
          />
          <Field label={`Description ${i + 1}`} value={r.description} onValue={(description) => setRows(rows.map((x, j) => (j === i ? { ...x, description } : x)))} />
          <button type="button" class="secondary outline" aria-label={`Remove device ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <div class="row">
        <button type="button" class="secondary outline" onClick={() => setRows([...rows, { identity: "", description: "" }])}>
          Add device
        </button>
        <ConfirmButton label="Overwrite device list" title={`Replace the devices of ${info.alias}?`} confirmLabel="Overwrite" onConfirm={() => overwrite(rows, `The key has ${rows.length} device(s).`)}>
          <p>The key's devices become exactly the {rows.length} listed. DecryptKey files handed out from now on open only on them.</p>
        </ConfirmButton>
        <ConfirmButton label="Remove every device" danger title={`Remove every device of ${info.alias}?`} confirmLabel="Remove all" disabled={devices.length === 0} onConfirm={() => overwrite([], "Every device removed: DecryptKey files are no longer bound.")}>
          <p>DecryptKey files handed out from now on are not bound to any device.</p>
        </ConfirmButton>
      </div>
    </>
  );
}
