/**
 * 3. Disk full: the data dir on a 4 MiB tmpfs (mount needs root/CAP_SYS_ADMIN;
 * without it the scenario is skipped and says so). Fill the filesystem, then:
 * writes fail with a clear error, reads keep working, nothing stored is
 * damaged; free the space: writes succeed again (without a restart); restart:
 * everything acknowledged is there.
 */
import { execFile } from "node:child_process";
import { mkdtemp, open, rm, statfs, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Recorder, Tally, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, dec, enc, outcome, type KmsClient } from "./lib/rpc.js";
import { newIdentity, sleep, startServer, type KmsProcess } from "./lib/server.js";
import type { Mode } from "./mode.js";

const run = promisify(execFile);

/** Writes filler files until ENOSPC (bounded by the filesystem size). */
async function fill(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const chunk of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
    for (let i = 0; i < 64; i++) {
      const f = join(dir, `filler-${files.length}`);
      const h = await open(f, "w");
      files.push(f);
      let full = false;
      try {
        for (let j = 0; j < 16; j++) await h.write(Buffer.alloc(chunk, 0x55));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        full = true;
      } finally {
        await h.close().catch(() => undefined);
      }
      if (full) break;
    }
  }
  return files;
}

export async function diskFullScenario(_mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("disk-full");
  const mnt = await mkdtemp(join(tmpdir(), "kms-full-"));
  try {
    await run("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt]);
  } catch (err) {
    rec.figure("mounted", false);
    rec.finding(
      `disk-full scenario skipped: mounting a tmpfs is not permitted here (${(err as Error).message.split("\n")[0]}). Smallest change to src that allows a simulated failure: in src/store/level-store.ts, let openLevelStore take an optional \`failWrites?: () => Error | undefined\` hook (wired from an env var such as KMS_TEST_FAIL_WRITES_FILE: when that file exists, batch() throws an ENOSPC-like error) so a harness can switch write failures on and off.`,
    );
    await rm(mnt, { recursive: true, force: true });
    return rec.result();
  }
  rec.figure("mounted", "tmpfs size=4m");
  const id = await newIdentity(join(mnt, "data"));
  let server: KmsProcess | undefined;
  const failures = new Tally();
  let filler: string[] = [];
  try {
    server = await startServer(id);
    let clients = clientsFor(server);
    let c: KmsClient = clients.grpc;
    const stored: { keyId: string; alias: string; blob: Uint8Array; plaintext: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const alias = `full-${i}`;
      const { keyId } = await c.createKey({ alias }, CALL);
      const plaintext = `stored before the disk filled ${i}`;
      const { ciphertextBlob } = await c.encrypt({ keyId, plaintext: enc(plaintext) }, CALL);
      stored.push({ keyId, alias, blob: ciphertextBlob, plaintext });
    }
    await c.disableKey({ keyId: stored[9]!.keyId }, CALL);

    filler = await fill(mnt);
    const free = await statfs(mnt);
    rec.figure("free bytes after filling", Number(free.bavail) * Number(free.bsize));

    // Writes while full: they must fail (LevelDB's log has some slack, so a few may still fit), each with a KmsError code.
    const acked: { keyId: string; alias: string }[] = [];
    let writes = 0;
    let firstFailure: string | undefined;
    for (let i = 0; i < 60; i++) {
      writes++;
      const alias = `while-full-${i}-${"d".repeat(20)}`;
      const r = await outcome(c.createKey({ alias, description: "x".repeat(1000) }, CALL));
      if (r.ok) acked.push({ keyId: r.value.keyId, alias });
      else {
        failures.add(`CreateKey:${r.code}`);
        firstFailure ??= `${r.code} "${r.message}"`;
      }
      const dk = await outcome(c.enableKey({ keyId: stored[9]!.keyId }, CALL));
      if (dk.ok) {
        const back = await outcome(c.disableKey({ keyId: stored[9]!.keyId }, CALL));
        if (!back.ok) failures.add(`DisableKey:${back.code}`);
      } else failures.add(`EnableKey:${dk.code}`);
      if (failures.total() >= 10) break;
    }
    rec.figure("writes tried while full", writes);
    rec.figure("writes refused while full", failures.total());
    rec.figure("first refusal", firstFailure ?? "none");
    rec.data.refusals = failures.toObject();
    rec.check("writes fail while the disk is full", failures.total() > 0, JSON.stringify(failures.toObject()));
    const codes = [...failures.counts.keys()].map((k) => k.split(":")[1] ?? "");
    rec.check("refusals carry an API error code (no transport failure)", codes.every((x) => !x.startsWith("transport")), codes.join(","));
    const clear = firstFailure !== undefined && /space|disk|full|storage|ENOSPC/i.test(firstFailure);
    if (firstFailure && !clear)
      rec.finding(
        `Disk full: writes answer ${firstFailure}, which does not say the storage is full (the operator has to read the server log). Repro: data dir on \`mount -t tmpfs -o size=4m\`, fill it, CreateKey.`,
      );
    rec.figure("refusal says disk/storage is full", clear);
    rec.check("the process stays up while the disk is full", server.alive());

    // Reads keep working.
    let readsOk = 0;
    for (const s of stored.slice(0, 9)) {
      const r = await outcome(c.decrypt({ ciphertextBlob: s.blob }, CALL));
      if (r.ok && dec(r.value.plaintext) === s.plaintext) readsOk++;
    }
    rec.check("reads (Decrypt) keep working while full", readsOk === 9, `${readsOk}/9`);

    // Space returns: writes must succeed again, without a restart.
    for (const f of filler) await unlink(f).catch(() => undefined);
    filler = [];
    await sleep(200);
    let recovered = 0;
    let lastCode = "";
    for (let i = 0; i < 5; i++) {
      const alias = `after-full-${i}`;
      const r = await outcome(c.createKey({ alias }, CALL));
      if (r.ok) {
        recovered++;
        acked.push({ keyId: r.value.keyId, alias });
      } else lastCode = `${r.code} "${r.message}"`;
    }
    rec.figure("writes ok after space returned (no restart)", `${recovered}/5`);
    rec.check("writes succeed again once space returns (no restart)", recovered === 5, lastCode);
    if (recovered < 5)
      rec.finding(
        `After a disk-full write failure, writes keep failing once space is back until the process restarts (answer: ${lastCode}). LevelDB keeps a sticky background error after a failed log write; the store is never reopened. Repro: data dir on a 4 MiB tmpfs, fill it, CreateKey (fails), delete the filler, CreateKey again.`,
      );
    const alive = server.alive();
    rec.check("the process stays up after space returns", alive);
    clients.close();

    // Restart: nothing stored is damaged, every acknowledged write is there.
    const firstLog = server.log();
    const code = await server.stop();
    rec.figure("exit code of SIGTERM after disk full", code ?? "null");
    server = await startServer(id);
    clients = clientsFor(server);
    c = clients.grpc;
    let intact = 0;
    for (const s of stored.slice(0, 9)) {
      const r = await outcome(c.decrypt({ ciphertextBlob: s.blob }, CALL));
      const md = await outcome(c.describeKey({ keyId: s.keyId }, CALL));
      if (r.ok && dec(r.value.plaintext) === s.plaintext && md.ok && md.value.keyMetadata?.alias === s.alias) intact++;
    }
    rec.check("nothing stored before the disk filled is damaged (after restart)", intact === 9, `${intact}/9`);
    let present = 0;
    const missing: string[] = [];
    for (const a of acked) {
      const md = await outcome(c.describeKey({ keyId: a.keyId }, CALL));
      if (md.ok && md.value.keyMetadata?.alias === a.alias) present++;
      else missing.push(`${a.alias} (${md.ok ? `alias ${md.value.keyMetadata?.alias}` : md.code})`);
    }
    rec.figure("acknowledged writes during/after full", acked.length);
    rec.figure("acknowledged writes lost after restart", acked.length - present);
    rec.data.lostAfterRestart = missing;
    rec.data.serverLog = firstLog.split("\n").filter((l) => /ERROR|WARN|corrupt/i.test(l)).slice(0, 20);
    rec.check("every write acknowledged during/after the full disk is present after restart", present === acked.length, `${present}/${acked.length}; missing ${missing.join(", ")}`);
    if (present < acked.length)
      rec.finding(
        `Acknowledged writes are LOST after a disk-full episode: ${acked.length - present} of ${acked.length} CreateKey calls that answered OK (during the full disk or after space returned, before any restart) are gone after a restart (${missing.slice(0, 3).join(", ")}). Repro: data dir on \`mount -t tmpfs -o size=4m\`, create keys, fill the fs to ENOSPC, CreateKey until it fails, delete the filler, CreateKey x5 (all OK), SIGTERM, start again, DescribeKey the 5 keys.`,
      );
    const after = await outcome(c.createKey({ alias: "after-restart" }, CALL));
    rec.check("writes work after restart", after.ok, after.ok ? "" : after.code);
    clients.close();
  } finally {
    if (server?.alive()) await server.kill9();
    for (const f of filler) await unlink(f).catch(() => undefined);
    await run("umount", [mnt]).catch(() => run("umount", ["-l", mnt]));
    await rm(mnt, { recursive: true, force: true });
  }
  return rec.result();
}
