/**
 * 1. Crash safety: kill -9 at random moments during a mixed write load (keys
 * and secrets), then restart and check that every acknowledged write is
 * there, that the alias index agrees with the key records, that every
 * ciphertext made before the crash still decrypts, and that every
 * acknowledged secret version reads back its value. Then product-secret
 * rotations on a private MariaDB, each cut by kill -9: after the restart the
 * interrupted flow finishes and the secret and the database agree.
 *
 * Each key is driven by one worker only, so its acknowledged writes form a
 * sequence; the one call a worker had in flight when the process died is
 * "uncertain" and may or may not have landed (both outcomes are accepted).
 * The crash image of the store is also copied and read directly, so the alias
 * index is checked against the key records byte for byte.
 */
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { KeyState } from "../../gen/kms/v1/kms_pb.js";
import { inconsistencies, readStore } from "./lib/offline.js";
import { Recorder, Tally, type ScenarioResult } from "./lib/report.js";
import { adminClient, ssmClient, type SsmClient } from "../helpers/clients.js";
import { mariadbAvailable, startMariaDb, tryAs, type MariaDb } from "../helpers/mariadb.js";
import { CALL, clientsFor, dec, enc, outcome, type KmsClient } from "./lib/rpc.js";
import { newIdentity, pick, rnd, sleep, startServer, type KmsProcess } from "./lib/server.js";
import type { Mode } from "./mode.js";

type State = "Enabled" | "Disabled" | "PendingDelete";

interface Snapshot {
  state: State;
  alias: string;
  rotation: boolean;
  versions: number;
}

interface Blob {
  keyId: string;
  blob: Uint8Array;
  plaintext: string;
  context: string;
  round: number;
}

interface ModelKey extends Snapshot {
  keyId: string;
  worker: number;
  /** Never disabled: its ciphertext is checked after every crash. */
  witness: boolean;
  /** Touched since the last verification (its alias is probed then). */
  touched: boolean;
}

/** A secret and the versions whose writes were acknowledged, with their values. */
interface ModelSecret {
  name: string;
  worker: number;
  versions: Map<string, string>;
}

/** A write that was in flight when the process died. */
type Uncertain =
  | { kind: "create"; worker: number; alias: string; witness: boolean }
  | { kind: "update"; keyId: string; op: string; before: Snapshot; after: Snapshot }
  | { kind: "secret"; worker: number; name: string; versionId: string; value: string };

const STATE_OF: Partial<Record<KeyState, State>> = {
  [KeyState.ENABLED]: "Enabled",
  [KeyState.DISABLED]: "Disabled",
  [KeyState.PENDING_DELETE]: "PendingDelete",
};

const snap = (k: Snapshot): Snapshot => ({ state: k.state, alias: k.alias, rotation: k.rotation, versions: k.versions });
const sameSnap = (a: Snapshot, b: Snapshot) => a.state === b.state && a.alias === b.alias && a.rotation === b.rotation && a.versions === b.versions;
const show = (s: Snapshot) => `${s.state}/${s.alias}/rot=${s.rotation}/v=${s.versions}`;

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export async function crashScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("crash");
  const kills = mode.short ? 3 : mode.kills;
  const workers = mode.short ? 4 : 8;
  const tag = Date.now().toString(36).slice(-5);
  let aliasCounter = 0;
  const newAlias = () => `c${tag}-${String(++aliasCounter).padStart(7, "0")}x`;
  const id = await newIdentity();
  const env = { KMS_MANUAL_ROTATION_INTERVAL_HOURS: "0" };

  const model = new Map<string, ModelKey>();
  const secretModel = new Map<string, ModelSecret>();
  let secretCounter = 0;
  let secretVersionsChecked = 0;
  const blobs: Blob[] = [];
  let uncertain: Uncertain[] = [];
  const acked = new Tally();
  const unexpected = new Tally();
  let writesLost = 0;
  let killsSurvived = 0;
  let decryptsChecked = 0;
  let uncertainLanded = 0;
  let uncertainTotal = 0;
  const killDelays: number[] = [];

  /** CreateKey calls answered OK: each must have its audit event, since state changes answer only once theirs is durable. */
  const ackedCreates = new Set<string>();
  let auditChecked = 0;

  let server: KmsProcess | undefined;
  try {
    for (let round = 0; round <= kills; round++) {
      server = await startServer(id, env);
      const clients = clientsFor(server);
      const c = clients.grpc;
      const secrets = ssmClient({ grpcUrl: server.grpcUrl, token: id.token });
      try {
        if (round > 0) {
          const stateOk = await verify(c, round, round === kills);
          const secretsOk = await verifySecrets(secrets.client, round);
          const auditOk = await verifyAudit(server, round);
          if (stateOk && secretsOk && auditOk) killsSurvived++;
        }
        if (round === kills) break;
        const delay = 150 + rnd(mode.short ? 900 : 1400);
        killDelays.push(delay);
        await load(c, secrets.client, round, delay, server);
      } finally {
        clients.close();
        secrets.close();
      }
      // The crash image, read directly: the alias index against the key records.
      const copy = join(id.dataDir, `../${id.dataDir.split("/").pop() ?? "x"}-image`);
      await cp(join(id.dataDir, "db"), copy, { recursive: true });
      try {
        const view = await readStore(copy);
        const bad = inconsistencies(view);
        rec.check("crash image: alias index agrees with key records", bad.length === 0, bad.slice(0, 5).join("; "));
        for (const k of model.values())
          if (!view.keys.has(k.keyId)) {
            writesLost++;
            rec.check("crash image: every acknowledged key is stored", false, `key ${k.keyId} (${k.alias}) missing after kill ${round + 1}`);
          }
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    }

    // A clean stop at the end: drained, exit 0.
    const code = await server?.stop();
    rec.check("clean SIGTERM stop after the last restart exits 0", code === 0, `exit ${String(code)}`);
  } finally {
    if (server?.alive()) await server.kill9();
    await rm(id.dataDir, { recursive: true, force: true });
  }

  rec.check("kills survived", killsSurvived === kills, `${killsSurvived}/${kills}`);
  rec.check("writes lost", writesLost === 0, String(writesLost));
  rec.check("unexpected errors during the load", unexpected.total() === 0, JSON.stringify(unexpected.toObject()));
  rec.figure("kills", kills);
  rec.figure("kills survived", killsSurvived);
  rec.figure("acknowledged writes", acked.total());
  rec.figure("writes lost", writesLost);
  rec.figure("in-flight writes at kill", uncertainTotal);
  rec.figure("in-flight writes that landed", uncertainLanded);
  rec.figure("keys", model.size);
  rec.figure("ciphertexts decrypted after crashes", decryptsChecked);
  rec.figure("secrets", secretModel.size);
  rec.figure("secret versions read back after crashes", secretVersionsChecked);
  rec.figure("audit chain verifications after crashes", auditChecked);
  rec.figure("unexpected errors", unexpected.total());
  rec.data.acknowledged = acked.toObject();
  rec.data.unexpected = unexpected.toObject();
  rec.data.killDelaysMs = killDelays;
  await productRotationCrashes(rec, mode);
  return rec.result();

  /** One load phase: workers write until the process is killed `delay` ms in. */
  async function load(c: KmsClient, ssm: SsmClient, round: number, delay: number, proc: KmsProcess): Promise<void> {
    let killed = false;
    const runs: Promise<void>[] = [];
    const deadline = Date.now() + delay + 20_000;
    for (let w = 0; w < workers; w++) runs.push(worker(w));
    await sleep(delay);
    killed = true;
    await proc.kill9();
    await Promise.all(runs);

    async function worker(w: number): Promise<void> {
      // Bounded: stops at the kill, at its first transport failure, or at the deadline.
      for (let i = 0; i < 100_000 && !killed && Date.now() < deadline; i++) {
        // A quarter of the writes are secrets: a new secret, or a version added to one of the worker's own.
        if (rnd(100) < 25) {
          const own = [...secretModel.values()].filter((x) => x.worker === w && x.versions.size < 10);
          const target = own.length > 0 && rnd(100) < 70 ? pick(own) : undefined;
          const name = target?.name ?? `s${tag}-${++secretCounter}`;
          const versionId = target ? `v${target.versions.size + 1}` : "v1";
          const value = `secret-r${round}-${name}-${versionId}-${"x".repeat(rnd(200))}`;
          const r = await outcome<unknown>(
            target ? ssm.putSecretValue({ secretName: name, versionId, secretString: value }, CALL) : ssm.createSecret({ secretName: name, versionId, secretString: value }, CALL),
          );
          if (r.ok) {
            acked.add(target ? "PutSecretValue" : "CreateSecret");
            const entry = target ?? { name, worker: w, versions: new Map<string, string>() };
            entry.versions.set(versionId, value);
            secretModel.set(name, entry);
          } else if (r.transport) {
            uncertain.push({ kind: "secret", worker: w, name, versionId, value });
            return;
          } else unexpected.add(`${target ? "PutSecretValue" : "CreateSecret"}:${r.code}`);
          continue;
        }
        const mine = [...model.values()].filter((k) => k.worker === w);
        const witness = mine.find((k) => k.witness);
        if (!witness || mine.length < 3 || rnd(100) < 12) {
          const alias = newAlias();
          const isWitness = !witness;
          const r = await outcome(c.createKey({ alias, description: `crash round ${round}` }, CALL));
          if (r.ok) {
            acked.add("CreateKey");
            model.set(r.value.keyId, { keyId: r.value.keyId, worker: w, witness: isWitness, touched: true, state: "Enabled", alias, rotation: false, versions: 1 });
            ackedCreates.add(r.value.keyId);
          } else if (r.transport) {
            uncertain.push({ kind: "create", worker: w, alias, witness: isWitness });
            return;
          } else unexpected.add(`CreateKey:${r.code}`);
          continue;
        }
        const k = pick(mine);
        const before = snap(k);
        const choices: string[] = [];
        if (k.state === "Enabled") choices.push("Encrypt", "Encrypt", "UpdateAlias", k.rotation ? "RotateKey" : "EnableKeyRotation");
        if (k.state === "Enabled" && !k.witness) choices.push("DisableKey", "DisableKey");
        if (k.state === "Disabled") choices.push("EnableKey", "ScheduleKeyDeletion", "UpdateAlias", "DisableKey");
        if (k.state === "PendingDelete") choices.push("CancelKeyDeletion", "UpdateAlias");
        const op = pick(choices);
        const after: Snapshot = { ...before };
        let call: Promise<unknown>;
        const plaintext = `r${round}-${k.keyId}-${i}-${"p".repeat(rnd(64))}`;
        const context = rnd(2) ? "" : JSON.stringify({ round: String(round), i: String(i) });
        switch (op) {
          case "Encrypt":
            call = c.encrypt({ keyId: k.keyId, plaintext: enc(plaintext), encryptionContext: context }, CALL);
            break;
          case "UpdateAlias":
            after.alias = newAlias();
            call = c.updateAlias({ keyId: k.keyId, alias: after.alias }, CALL);
            break;
          case "RotateKey":
            after.versions++;
            call = c.rotateKey({ keyId: k.keyId }, CALL);
            break;
          case "EnableKeyRotation":
            after.rotation = true;
            call = c.enableKeyRotation({ keyId: k.keyId, rotateDays: 7 + rnd(300) }, CALL);
            break;
          case "DisableKey":
            after.state = "Disabled";
            call = c.disableKey({ keyId: k.keyId }, CALL);
            break;
          case "EnableKey":
            after.state = "Enabled";
            call = c.enableKey({ keyId: k.keyId }, CALL);
            break;
          case "ScheduleKeyDeletion":
            after.state = "PendingDelete";
            call = c.scheduleKeyDeletion({ keyId: k.keyId, pendingWindowInDays: 7 + rnd(24) }, CALL);
            break;
          default:
            after.state = "Disabled";
            call = c.cancelKeyDeletion({ keyId: k.keyId }, CALL);
        }
        const r = await outcome(call);
        if (r.ok) {
          if (op === "Encrypt") blobs.push({ keyId: k.keyId, blob: (r.value as { ciphertextBlob: Uint8Array }).ciphertextBlob, plaintext, context, round });
          else acked.add(op);
          Object.assign(k, after);
          k.touched = true;
        } else if (r.transport) {
          if (op !== "Encrypt") uncertain.push({ kind: "update", keyId: k.keyId, op, before, after });
          return;
        } else unexpected.add(`${op}:${r.code}`);
      }
    }
  }

  /**
   * After a restart: every acknowledged secret version reads back its value;
   * a secret write in flight at the kill either landed whole (then it is
   * adopted) or left nothing.
   */
  async function verifySecrets(ssm: SsmClient, round: number): Promise<boolean> {
    let ok = true;
    for (const u of uncertain) {
      if (u.kind !== "secret") continue;
      const r = await outcome(ssm.getSecretValue({ secretName: u.name, versionId: u.versionId }, CALL));
      if (r.ok) {
        if (r.value.secretString !== u.value) ok = rec.check("an in-flight secret write landed whole or not at all", false, `after kill ${round}: ${u.name}/${u.versionId} holds another value`);
        uncertainLanded++;
        const entry = secretModel.get(u.name) ?? { name: u.name, worker: u.worker, versions: new Map<string, string>() };
        entry.versions.set(u.versionId, u.value);
        secretModel.set(u.name, entry);
      } else if (r.code !== "ResourceNotFound") ok = rec.check("an in-flight secret write landed whole or not at all", false, `after kill ${round}: ${u.name}/${u.versionId}: ${r.code}`);
    }
    uncertain = uncertain.filter((u) => u.kind !== "secret");
    const all = [...secretModel.values()].flatMap((x) => [...x.versions].map(([versionId, value]) => ({ name: x.name, versionId, value })));
    await inBatches(all, 16, async (v) => {
      secretVersionsChecked++;
      const r = await outcome(ssm.getSecretValue({ secretName: v.name, versionId: v.versionId }, CALL));
      if (!r.ok || r.value.secretString !== v.value) {
        writesLost++;
        ok = rec.check("every acknowledged secret version reads back its value", false, `after kill ${round}: ${v.name}/${v.versionId}: ${r.ok ? "another value" : r.code}`);
      }
    });
    rec.check("every acknowledged secret version reads back its value", true);
    rec.check("an in-flight secret write landed whole or not at all", true);
    return ok;
  }

  /** After a restart: the model (with its uncertain writes) against what the service answers. */
  /** The audit chain survives kill -9 intact, and holds the event of every acknowledged CreateKey. */
  async function verifyAudit(proc: KmsProcess, round: number): Promise<boolean> {
    const admin = adminClient({ grpcUrl: proc.grpcUrl, token: proc.identity.token });
    try {
      const report = await admin.client.verifyAuditLog({}, CALL);
      auditChecked++;
      const intact = report.ok;
      rec.check("audit chain verifies after each crash", intact, intact ? "" : `after kill ${round}: ${report.failureReason} at ${report.failureSeq}: ${report.failureDetail}`);
      const audited = new Set<string>();
      let afterSeq = 0n;
      for (;;) {
        const page = await admin.client.queryAuditEvents({ action: "kms:CreateKey", result: "Success", afterSeq, limit: 1000 }, CALL);
        for (const e of page.events) for (const k of e.keyIds) audited.add(k);
        if (page.nextAfterSeq === 0n) break;
        afterSeq = page.nextAfterSeq;
      }
      const missing = [...ackedCreates].filter((k) => !audited.has(k));
      rec.check("every acknowledged CreateKey is in the audit trail", missing.length === 0, missing.length === 0 ? "" : `after kill ${round}: ${missing.length} missing, e.g. ${missing[0]}`);
      // A key and its event are one batch: even a create in flight at the kill is audited if it landed.
      const unaudited = [...model.keys()].filter((k) => !audited.has(k));
      rec.check("every stored key, acknowledged or not, has its CreateKey event", unaudited.length === 0, unaudited.length === 0 ? "" : `after kill ${round}: ${unaudited.length} without an event, e.g. ${unaudited[0]}`);
      if (unaudited.length > 0) return false;
      return intact && missing.length === 0;
    } finally {
      admin.close();
    }
  }

  async function verify(c: KmsClient, round: number, final: boolean): Promise<boolean> {
    let ok = true;
    const fail = (name: string, detail: string) => {
      ok = false;
      rec.check(name, false, `after kill ${round}: ${detail}`);
    };
    uncertainTotal += uncertain.length;
    // In-flight creates: adopted if they landed (found by alias), otherwise nothing may hold the alias.
    for (const u of uncertain) {
      if (u.kind !== "create") continue;
      const r = await outcome(c.listKeyDetail({ searchKeyAlias: u.alias, allKeyUsages: true, limit: 200 }, CALL));
      if (!r.ok) {
        fail("verification calls answer", `ListKeyDetail ${r.code}`);
        continue;
      }
      const hit = r.value.keyMetadatas.filter((m) => m.alias === u.alias);
      if (hit.length > 1) fail("alias unique", `${hit.length} keys hold ${u.alias}`);
      const m = hit[0];
      if (m) {
        uncertainLanded++;
        model.set(m.keyId, { keyId: m.keyId, worker: u.worker, witness: u.witness, touched: true, state: "Enabled", alias: u.alias, rotation: false, versions: 1 });
      }
    }
    const pending = new Map<string, Extract<Uncertain, { kind: "update" }>>();
    for (const u of uncertain) if (u.kind === "update") pending.set(u.keyId, u);
    // Secret writes in flight are settled by verifySecrets, which runs next.
    uncertain = uncertain.filter((u) => u.kind === "secret");

    const keys = [...model.values()];
    await inBatches(keys, 16, async (k) => {
      const r = await outcome(c.describeKey({ keyId: k.keyId }, CALL));
      if (!r.ok) {
        writesLost++;
        return fail("every acknowledged key is present", `DescribeKey ${k.keyId} (${k.alias}): ${r.code}`);
      }
      const md = r.value.keyMetadata;
      const seen: Snapshot = {
        state: STATE_OF[md?.keyState ?? KeyState.UNSPECIFIED] ?? "Enabled",
        alias: md?.alias ?? "",
        rotation: md?.keyRotationEnabled ?? false,
        versions: md?.versionCount ?? 0,
      };
      if (STATE_OF[md?.keyState ?? KeyState.UNSPECIFIED] === undefined) fail("key state is one the load produced", `${k.keyId}: ${String(md?.keyState)}`);
      const u = pending.get(k.keyId);
      const allowed = u ? [u.before, u.after] : [snap(k)];
      if (!allowed.some((a) => sameSnap(a, seen))) {
        writesLost++;
        fail("every acknowledged write is present", `${k.keyId}: expected ${allowed.map(show).join(" or ")}, found ${show(seen)}`);
      }
      if (u && sameSnap(u.after, seen)) uncertainLanded++;
      if (u) k.touched = true;
      Object.assign(k, seen);
    });

    // Every key's alias resolves: taken for CreateKey, found by ListKeyDetail. All keys at the end, else the touched ones and a sample.
    const probe = final ? keys : keys.filter((k) => k.touched || rnd(keys.length) < 20);
    await inBatches(probe, 8, async (k) => {
      const taken = await outcome(c.createKey({ alias: k.alias }, CALL));
      if (taken.ok) fail("a key's alias is taken (CreateKey answers AliasAlreadyExists)", `CreateKey ${k.alias} succeeded`);
      else if (taken.code !== "InvalidParameterValue.AliasAlreadyExists") fail("a key's alias is taken (CreateKey answers AliasAlreadyExists)", `${k.alias}: ${taken.code}`);
      const found = await outcome(c.listKeyDetail({ searchKeyAlias: k.alias, allKeyUsages: true, limit: 200 }, CALL));
      if (!found.ok || !found.value.keyMetadatas.some((m) => m.keyId === k.keyId && m.alias === k.alias))
        fail("ListKeyDetail SearchKeyAlias finds every key by its alias", `${k.alias} → ${found.ok ? found.value.keyMetadatas.map((m) => m.keyId).join(",") : found.code}`);
      k.touched = false;
    });

    // Ciphertext from before the crash: keys that are Enabled now (at the end: all, enabling them first).
    if (final) {
      for (const k of keys) {
        if (k.state === "PendingDelete" && (await outcome(c.cancelKeyDeletion({ keyId: k.keyId }, CALL))).ok) k.state = "Disabled";
        if (k.state === "Disabled" && (await outcome(c.enableKey({ keyId: k.keyId }, CALL))).ok) k.state = "Enabled";
      }
    }
    const candidates = blobs.filter((b) => model.get(b.keyId)?.state === "Enabled");
    const sample = final ? candidates : candidates.filter((b) => b.round === round - 1 || rnd(candidates.length) < 200);
    await inBatches(sample, 16, async (b) => {
      decryptsChecked++;
      const r = await outcome(c.decrypt({ ciphertextBlob: b.blob, encryptionContext: b.context }, CALL));
      if (!r.ok) fail("ciphertext made before the crash decrypts", `${b.keyId}: ${r.code} ${r.message}`);
      else if (dec(r.value.plaintext) !== b.plaintext) fail("ciphertext made before the crash decrypts", `${b.keyId}: wrong plaintext`);
    });
    rec.check("ciphertext made before the crash decrypts", true);
    rec.check("every acknowledged write is present", true);
    rec.check("a key's alias is taken (CreateKey answers AliasAlreadyExists)", true);
    rec.check("ListKeyDetail SearchKeyAlias finds every key by its alias", true);
    return ok;
  }
}

/**
 * Product-secret rotations cut by kill -9, on a private MariaDB: each round
 * asks for a rotation and kills the process 0 to 40 ms later, mostly while
 * the flow is talking to the database. After the restart the flow must end
 * Done (the service resumes it), the secret's current and previous
 * credentials must both log in, and older ones must not.
 */
async function productRotationCrashes(rec: Recorder, mode: Mode): Promise<void> {
  if (!mariadbAvailable) {
    const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
    rec.check("MariaDB available for the product-rotation crashes", !inCi, "mariadbd not found");
    rec.figure("product rotations cut by kill -9", "skipped: no MariaDB (apt-get install mariadb-server)");
    return;
  }
  const rounds = mode.short ? 2 : 8;
  const db: MariaDb = await startMariaDb();
  const id = await newIdentity();
  let server: KmsProcess | undefined;
  let resumed = 0;
  let agreed = 0;
  const seen: { UserName: string; Password: string }[] = [];
  try {
    await db.rootQuery("CREATE DATABASE app", "CREATE TABLE app.t (id INT)");
    server = await startServer(id);
    let ssm = ssmClient({ grpcUrl: server.grpcUrl, token: id.token });
    await ssm.client.registerDatabaseInstance({ instanceId: "cdb-crash", productName: "Mysql", host: db.host, port: db.port, adminUser: db.adminUser, adminPassword: db.adminPassword }, CALL);
    const created = await ssm.client.createProductSecret(
      { secretName: "crash-db", userNamePrefix: "crash", productName: "Mysql", instanceId: "cdb-crash", domains: ["127.0.0.1"], privilegesList: [{ privilegeName: "DatabasePrivileges", privileges: ["SELECT"], database: "app" }] },
      CALL,
    );
    const flowEnd = async (client: SsmClient, flowId: bigint) => {
      for (let i = 0; i < 600; i++) {
        const r = await outcome(client.describeAsyncRequestInfo({ flowId }, CALL));
        if (r.ok && r.value.taskStatus !== 0) return r.value;
        await sleep(50);
      }
      return undefined;
    };
    const current = async (client: SsmClient) => {
      const r = await client.getSecretValue({ secretName: "crash-db", versionId: "SSM_Current" }, CALL);
      return JSON.parse(r.secretString) as { UserName: string; Password: string };
    };
    rec.check("a product secret is created before the crashes", (await flowEnd(ssm.client, created.flowId))?.taskStatus === 1);
    seen.push(await current(ssm.client));
    for (let round = 1; round <= rounds; round++) {
      const { flowId } = await ssm.client.rotateProductSecret({ secretName: "crash-db" }, CALL);
      await sleep(rnd(40));
      ssm.close();
      await server.kill9();
      server = await startServer(id);
      ssm = ssmClient({ grpcUrl: server.grpcUrl, token: id.token });
      const end = await flowEnd(ssm.client, flowId);
      rec.check("a rotation cut by kill -9 ends Done after the restart", end?.taskStatus === 1, `round ${round}: ${end ? `TaskStatus ${end.taskStatus}: ${end.description}` : "still running after 30 s"}`);
      if (/resumed \d+ product flow/.test(server.log())) resumed++;
      const now = await current(ssm.client);
      if (now.Password !== seen.at(-1)?.Password) seen.push(now);
      const logins = await Promise.all(seen.map((c) => tryAs(db, c.UserName, c.Password, "SELECT COUNT(*) FROM app.t")));
      const expected = seen.map((_, i) => (i >= seen.length - 2 ? "ok" : "ER_ACCESS_DENIED_ERROR"));
      const agrees = rec.check("after each restart the secret and the database agree (current and previous log in, older do not)", logins.join() === expected.join(), `round ${round}: ${logins.join(", ")}`);
      if (agrees) agreed++;
    }
    rec.check("after each restart the secret and the database agree (current and previous log in, older do not)", true);
    rec.check("a rotation cut by kill -9 ends Done after the restart", true);
    ssm.close();
    const code = await server.stop();
    rec.check("clean SIGTERM stop after the rotation crashes exits 0", code === 0, `exit ${String(code)}`);
  } finally {
    if (server?.alive()) await server.kill9();
    await db.dispose();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  rec.figure("product rotations cut by kill -9", rounds);
  rec.figure("product flows resumed at restart", resumed);
  rec.figure("restarts where secret and database agreed", agreed);
}
