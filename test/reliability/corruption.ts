/**
 * 2. Corruption: one flipped byte in one key version's sealedMaterial (the
 * server stopped, the record edited with `level`, the server restarted). That
 * key must answer a clear error (InternalError naming the failed integrity
 * check), its metadata stay readable, and every other key keep working.
 * Repeated for bytes in the format byte, the IV, the ciphertext and the tag,
 * one victim key each.
 *
 * A probe beyond the brief: one flipped byte in a key *record* (plain JSON,
 * not sealed) — reported as a finding, not a failed check.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { editRecord, flipSealedByte } from "./lib/offline.js";
import { Recorder, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, dec, enc, outcome, type KmsClient } from "./lib/rpc.js";
import { newIdentity, startServer, type KmsProcess } from "./lib/server.js";
import type { Mode } from "./mode.js";

interface Sample {
  keyId: string;
  alias: string;
  blobs: { blob: Uint8Array; plaintext: string; context: string }[];
}

const PLACES: { name: string; at: (len: number) => number }[] = [
  { name: "format byte", at: () => 0 },
  { name: "IV", at: () => 5 },
  { name: "ciphertext", at: () => 13 + 7 },
  { name: "GCM tag", at: (len) => len - 3 },
];

export async function corruptionScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("corruption");
  const id = await newIdentity();
  const env = { KMS_MANUAL_ROTATION_INTERVAL_HOURS: "0" };
  let server: KmsProcess | undefined;
  const keys: Sample[] = [];
  let flips = 0;
  let detected = 0;
  let othersOk = 0;
  try {
    server = await startServer(id, env);
    let clients = clientsFor(server);
    // Victims and bystanders; one victim rotated, so its version 2 is the newest and version 1 is corrupted.
    for (let i = 0; i < PLACES.length + 4; i++) {
      const alias = `corrupt-${i}`;
      const { keyId } = await clients.grpc.createKey({ alias }, CALL);
      const s: Sample = { keyId, alias, blobs: [] };
      for (let j = 0; j < 3; j++) {
        const plaintext = `key ${i} message ${j}`;
        const context = j === 0 ? "" : JSON.stringify({ j: String(j) });
        s.blobs.push({ plaintext, context, blob: (await clients.grpc.encrypt({ keyId, plaintext: enc(plaintext), encryptionContext: context }, CALL)).ciphertextBlob });
      }
      keys.push(s);
    }
    clients.close();

    for (let p = 0; p < PLACES.length; p++) {
      const place = PLACES[p]!;
      const victim = keys[p]!;
      rec.check(`server stops cleanly before the edit (${place.name})`, (await server.stop()) === 0);
      const flip = await flipSealedByte(join(id.dataDir, "db"), victim.keyId, 1, place.at);
      flips++;
      server = await startServer(id, env);
      clients = clientsFor(server);
      const c = clients.grpc;
      const what = `${place.name} (byte ${flip.offset} of ${flip.sealedLength})`;

      const d = await outcome(c.decrypt({ ciphertextBlob: victim.blobs[0]!.blob, encryptionContext: victim.blobs[0]!.context }, CALL));
      const e = await outcome(c.encrypt({ keyId: victim.keyId, plaintext: enc("x") }, CALL));
      const g = await outcome(c.generateDataKey({ keyId: victim.keyId, numberOfBytes: 32 }, CALL));
      // The caller gets a fixed message with its RequestId; the cause (the key and its failed integrity check) goes to the log only.
      const requestIdOf = (r: typeof d | typeof e | typeof g) => (r.ok ? undefined : /RequestId ([0-9a-f-]{36})/.exec(r.message)?.[1]);
      const running = server;
      // The log is written asynchronously (pino to stderr through the thread pool): an answer can reach
      // the client before its log line does, so the line is looked for until it comes, for up to 2 s.
      const logged = async (id: string | undefined): Promise<boolean> => {
        if (id === undefined) return false;
        const line = new RegExp(`request ${id}: .*${victim.keyId}.*integrity check`);
        for (const until = Date.now() + 2_000; !line.test(running.log()); await sleep(20)) if (Date.now() > until) return false;
        return true;
      };
      const clear = async (r: typeof d | typeof e | typeof g) => !r.ok && r.code === "InternalError" && !r.message.includes(victim.keyId) && (await logged(requestIdOf(r)));
      const ok = (await clear(d)) && (await clear(e)) && (await clear(g));
      if (ok) detected++;
      rec.check(
        "corrupted key answers InternalError with a RequestId, and the log names the key and its failed integrity check (Decrypt, Encrypt, GenerateDataKey)",
        ok,
        `${what}: ${[d, e, g].map((r) => (r.ok ? "ok" : `${r.code} "${r.message}"`)).join(" | ")}`,
      );
      const md = await outcome(c.describeKey({ keyId: victim.keyId }, CALL));
      rec.check("corrupted key's metadata stays readable", md.ok && md.value.keyMetadata?.alias === victim.alias, `${what}: ${md.ok ? "ok" : md.code}`);
      // Every other key (including earlier victims' neighbours) keeps working.
      for (const other of keys.slice(p + 1)) {
        let good = true;
        for (const b of other.blobs) {
          const r = await outcome(c.decrypt({ ciphertextBlob: b.blob, encryptionContext: b.context }, CALL));
          if (!r.ok || dec(r.value.plaintext) !== b.plaintext) good = false;
        }
        const r = await outcome(c.encrypt({ keyId: other.keyId, plaintext: enc("still fine") }, CALL));
        good &&= r.ok;
        if (good) othersOk++;
        rec.check("every other key keeps working", good, `${other.keyId} after corrupting ${victim.keyId} ${what}`);
      }
      const created = await outcome(c.createKey({ alias: `after-corrupt-${p}` }, CALL));
      const listed = await outcome(c.listKeyDetail({ limit: 200, allKeyUsages: true }, CALL));
      rec.check("the service keeps serving (CreateKey, ListKeyDetail)", created.ok && listed.ok);
      rec.check("the process stays up", server.alive());
      // The damage is not "repaired" by a retry or a cache: still refused.
      const again = await outcome(c.decrypt({ ciphertextBlob: victim.blobs[1]!.blob, encryptionContext: victim.blobs[1]!.context }, CALL));
      rec.check("corruption stays detected on later calls", await clear(again), again.ok ? "decrypted!" : again.code);
      clients.close();
    }

    // Beyond the brief: a flipped byte in a key record (JSON, not sealed, no integrity check).
    await probeKeyRecord(keys[keys.length - 1]!);
  } finally {
    if (server?.alive()) await server.kill9();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  rec.figure("sealed records corrupted", flips);
  rec.figure("corruptions detected", detected);
  rec.figure("other-key checks passed", othersOk);
  return rec.result();

  async function probeKeyRecord(target: Sample): Promise<void> {
    if (!server) return;
    await server.stop();
    // Turn the record's JSON invalid (one byte: the closing brace).
    await editRecord(join(id.dataDir, "db"), `v1/keys/${target.keyId}`, (raw) => {
      const out = Buffer.from(raw);
      out[out.length - 1] = 0x20 ^ 0x01;
      return out;
    });
    server = await startServer(id, env).catch((err: unknown) => {
      rec.finding(`A single flipped byte in a key record (v1/keys/<id>, plain JSON) stops the server from starting: ${(err as Error).message.split("\n")[0]}. Repro: stop the server, flip the last byte of any v1/keys/<id> value with \`level\`, start.`);
      return undefined;
    });
    if (!server) return;
    const clients = clientsFor(server);
    const c: KmsClient = clients.grpc;
    try {
      const own = await outcome(c.describeKey({ keyId: target.keyId }, CALL));
      const list = await outcome(c.listKeyDetail({ limit: 200, allKeyUsages: true }, CALL));
      const listKeys = await outcome(c.listKeys({ limit: 200 }, CALL));
      const status = await outcome(c.getServiceStatus({}, CALL));
      const other = keys[PLACES.length]!;
      const otherDescribe = await outcome(c.describeKey({ keyId: other.keyId }, CALL));
      rec.data.keyRecordProbe = {
        describeVictim: own.ok ? "ok" : `${own.code}: ${own.message}`,
        listKeyDetail: list.ok ? "ok" : `${list.code}: ${list.message}`,
        listKeys: listKeys.ok ? "ok" : `${listKeys.code}: ${listKeys.message}`,
        getServiceStatus: status.ok ? "ok" : status.code,
        describeOther: otherDescribe.ok ? "ok" : otherDescribe.code,
      };
      if (!list.ok)
        rec.finding(
          `One unreadable key record (v1/keys/<id>, plain JSON, not integrity-protected) makes ListKeyDetail${listKeys.ok ? "" : " and ListKeys"} fail for every caller (${list.code} "${list.message}"); DescribeKey of that key answers ${own.ok ? "ok" : `${own.code} "${own.message}"`}. Repro: stop the server, make one v1/keys/<id> value invalid JSON with \`level\`, restart, call ListKeyDetail.`,
        );
      rec.check("a corrupted key record does not stop the process", server.alive());
    } finally {
      clients.close();
    }
  }
}
