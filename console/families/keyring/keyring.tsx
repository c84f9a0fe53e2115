/**
 * The root of trust and its keyring (TrustService, the account root only):
 * seal mode, root, keyring versions and a running rotation's progress, and
 * rotate the keyring after a confirmation. A sub-user sees the API's refusal.
 * Also online backups (BackupService/CreateBackup), an operator's action too.
 */
import { useEffect, useState } from "preact/hooks";
import type { CreateBackupResponse } from "../../../gen/kms/v1/backup_pb.js";
import type { RouteContext } from "../../core/family.js";
import { count, time, timeMs } from "../../core/format.js";
import { ConfirmButton, Done, Failure, Loading, useLoad } from "../../core/ui.js";

const POLL_MS = 1000;

const SEAL_NAMES: Record<string, string> = {
  dev: "development key (KMS_SEAL=dev): the key sits beside the data",
  pkcs11: "HSM key through PKCS#11 (KMS_SEAL=pkcs11)",
  shamir: "Shamir shares (KMS_SEAL=shamir)",
};

function Backup({ api }: Pick<RouteContext, "api">) {
  const [made, setMade] = useState<CreateBackupResponse | undefined>();
  return (
    <section aria-labelledby="backup-h">
      <h2 id="backup-h">Backup</h2>
      <p>
        CreateBackup writes a sealed, consistent backup of the whole store (one snapshot, while writes go on) into the server's <code>KMS_BACKUP_DIR</code>. Restore is offline:{" "}
        <code>npm run restore -- --from FILE --to DIR</code>.
      </p>
      <ConfirmButton label="Create backup" title="Create a backup now?" confirmLabel="Create backup" onConfirm={() => api.backup.createBackup({}).then(setMade)}>
        <p>One backup runs at a time; the file is named by the server.</p>
      </ConfirmButton>
      {made ? (
        <div role="status" class="done">
          <p>
            Backup written: <code class="backup-file">{made.fileName}</code>, {count(made.sizeBytes)} bytes, {count(made.manifest?.entries ?? 0n)} entries, audit head #{String(made.manifest?.auditHeadSeq ?? 0n)}, taken{" "}
            {timeMs(made.manifest?.createTimeMs ?? 0n)}.
          </p>
          <p>
            SHA-256 <code>{made.sha256}</code>
          </p>
        </div>
      ) : null}
    </section>
  );
}

export function Keyring({ api }: RouteContext) {
  const [tick, setTick] = useState(0);
  const [done, setDone] = useState("");
  const status = useLoad(() => api.trust.getKeyringStatus({}), [tick]);
  const s = status.data;
  // While a rotation runs, ask again every second to show its progress.
  useEffect(() => {
    if (!s?.rotation) return;
    const timer = setTimeout(() => setTick((t) => t + 1), POLL_MS);
    return () => clearTimeout(timer);
  }, [s]);
  const r = s?.rotation;
  return (
    <>
      <h1>Keyring</h1>
      <p>
        Every key's material, access key secret and audit key is sealed under the keyring's current version; the keyring is wrapped by the root of trust. Rotating the keyring makes a new version
        current at once and rewraps every sealed record in the background while the service serves.
      </p>
      <Failure failure={status.failure} />
      {status.loading && !s ? <Loading what="the keyring" /> : null}
      {s ? (
        <>
          <dl class="meta">
            <dt>Root of trust</dt>
            <dd>{SEAL_NAMES[s.sealType] ?? s.sealType}</dd>
            <dt>Root</dt>
            <dd>{s.root || "—"}</dd>
            <dt>Current keyring version</dt>
            <dd data-keyring-version={s.currentVersion}>{s.currentVersion}</dd>
            <dt>Versions held</dt>
            <dd>{s.versions.map((v) => `${v.version} (created ${time(v.createTime)})`).join(", ")}</dd>
            <dt>Rotation</dt>
            <dd data-rotation={r ? "running" : "idle"}>
              {r ? (
                <span role="status" aria-busy="true">
                  running to version {r.targetVersion}: pass {r.pass}, {count(r.rewrapped)} records rewrapped
                  {r.unreadable > 0n ? `, ${count(r.unreadable)} unreadable` : ""}
                  {r.kind ? `, now ${r.kind}` : ""}, started {time(r.startTime)}
                </span>
              ) : (
                "none running"
              )}
            </dd>
          </dl>
        </>
      ) : null}
      {/* Offered to every caller: the API decides, and a sub-user sees its refusal in the dialog. */}
      <ConfirmButton
        label="Rotate keyring"
        danger
        title="Rotate the keyring?"
        confirmLabel="Rotate"
        disabled={r !== undefined}
        onConfirm={async () => {
          const started = await api.trust.rotateKeyring({});
          setDone(`Rotation to keyring version ${started.rotation?.targetVersion ?? "?"} started.`);
          setTick((t) => t + 1);
        }}
      >
        <p>A new keyring version seals everything new from now on; every stored record is rewrapped under it in the background. Old records stay readable throughout, and the old versions are dropped when no record uses them.</p>
      </ConfirmButton>
      {done ? <Done>{done}</Done> : null}
      <Backup api={api} />
    </>
  );
}
