/**
 * Shamir unseal end to end: a store sealed with KMS_SEAL=shamir starts
 * SEALED, initialises once through UnsealService (shares shown once), stays
 * sealed with fewer than k shares, refuses a corrupted, foreign or repeated
 * share without counting it, unseals at k, and serves; restarted it is
 * sealed again; a rekey with the current quorum hands out new shares and the
 * old ones stop working. Driven through `npm run unseal` (in process, and
 * once as the real script).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { runUnsealCli } from "../../src/cli/unseal.js";
import type { Trust } from "../../src/trust/trust.js";
import { startSealedServer } from "../helpers/sealed-server.js";
import { openDomainWith, openStoreAndTrust } from "../helpers/trust-domain.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function cli(url: string, argv: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  const input = new PassThrough();
  input.end(stdin);
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (c: Buffer) => (o += c.toString()));
  err.on("data", (c: Buffer) => (e += c.toString()));
  const code = await runUnsealCli([...argv, "--url", url], {}, { stdin: input, stdout: out, stderr: err });
  return { code, out: o, err: e };
}

/** Opens the store sealed and serves UnsealService; resolves the domain once unsealed. */
async function sealedStart(env: Record<string, string>) {
  const { config, store, opening } = await openStoreAndTrust(env);
  if (opening.state !== "sealed") throw new Error("expected a sealed start");
  const server = await startSealedServer({ mode: "shamir", unsealer: opening.unsealer });
  let unsealed = false;
  const domain = opening.unsealer.unsealed.then(async (trust: Trust) => {
    unsealed = true;
    return openDomainWith(config, store, trust);
  });
  return { server, unsealer: opening.unsealer, domain, isUnsealed: () => unsealed, store };
}

describe("Shamir unseal", () => {
  it("initialises once, unseals at k of n, refuses bad shares, reseals on restart, and rekeys", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kms-shamir-"));
    dirs.push(dir);
    const env = { KMS_DATA_DIR: dir, KMS_SEAL: "shamir" };
    const s = await sealedStart(env);
    expect((await cli(s.server.url, ["status"])).out).toContain("sealed, not initialised");
    const health = await fetch(`${s.server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "NOT_SERVING" });
    expect((await cli(s.server.url, ["submit", "kmss1.0000000000000000.AAAA"])).err).toContain("UnsupportedOperation");

    const init = await cli(s.server.url, ["init", "--shares", "5", "--threshold", "3"]);
    expect(init.code).toBe(0);
    const shares = init.out.split("\n").filter((l) => l.startsWith("kmss1."));
    expect(shares).toHaveLength(5);
    expect(init.out).toContain("sealed: 0 of 3 shares received");
    const again = await cli(s.server.url, ["init", "--shares", "3", "--threshold", "2"]);
    expect([again.code, again.err]).toEqual([1, expect.stringContaining("UnsupportedOperation: the seal is already initialised")]);

    // A share with one character changed: refused by name, not counted.
    const s0 = shares[0]!;
    const corrupted = `${s0.slice(0, -3)}${s0.at(-3) === "A" ? "B" : "A"}${s0.slice(-2)}`;
    const bad = await cli(s.server.url, ["submit", corrupted]);
    expect([bad.code, bad.err]).toEqual([1, expect.stringContaining("InvalidParameterValue: the share is not one of this seal's shares")]);
    expect((await cli(s.server.url, ["submit", shares[0]!])).out).toContain("1 of 3");
    expect((await cli(s.server.url, ["submit", shares[0]!])).err).toContain("already submitted");
    expect((await cli(s.server.url, ["submit", shares[3]!])).out).toContain("2 of 3");
    expect(s.isUnsealed()).toBe(false);
    // The third from stdin (not on the command line).
    const last = await cli(s.server.url, ["submit"], `${shares[4]}\n`);
    expect(last.out).toContain("unsealed (shamir)");
    const d = await s.domain;
    expect((await fetch(`${s.server.url}/healthz`)).status).toBe(200);
    expect((await cli(s.server.url, ["submit", shares[1]!])).err).toContain("already unsealed");
    const { record, secretKey } = await d.directory.createAccessKey(d.config.accountUin, "", 1);
    await s.server.close();
    await d.close();

    // Restarted: sealed again; two shares are not enough; reset forgets them; three unseal.
    const r = await sealedStart(env);
    expect(r.unsealer.status()).toMatchObject({ sealed: true, initialized: true, threshold: 3, shares: 5, progress: 0 });
    await cli(r.server.url, ["submit", shares[1]!]);
    await cli(r.server.url, ["submit", shares[2]!]);
    expect((await cli(r.server.url, ["reset"])).out).toContain("0 of 3");
    for (const sh of [shares[2]!, shares[3]!, shares[1]!]) await cli(r.server.url, ["submit", sh]);
    const d2 = await r.domain;
    expect(d2.directory.accessKey(record.secretId)?.secretKey).toBe(secretKey);

    // Rekey: the current quorum in, new shares (2 of 3) out.
    await expect(d2.trust.rotateRoot({ currentShares: [shares[0]!, shares[1]!], shares: 3, threshold: 2 })).rejects.toThrow(/needs 3 distinct current shares/);
    const { shares: fresh } = await d2.trust.rotateRoot({ currentShares: [shares[0]!, shares[1]!, shares[2]!], shares: 3, threshold: 2 });
    expect(fresh).toHaveLength(3);
    await r.server.close();
    await d2.close();

    const n = await sealedStart(env);
    expect((await cli(n.server.url, ["submit", shares[0]!])).err).toContain("belongs to seal");
    // The real script, as an operator runs it.
    const run = promisify(execFile);
    const script = await run(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../../src/cli/unseal.ts"), "submit", fresh[0]!, "--url", n.server.url]);
    expect(script.stdout).toContain("1 of 2");
    await cli(n.server.url, ["submit", fresh[2]!]);
    const d3 = await n.domain;
    expect(d3.directory.accessKey(record.secretId)?.secretKey).toBe(secretKey);
    await n.server.close();
    await d3.close();
  });

  it("moves a development store to Shamir shares at InitializeSeal", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kms-shamir-"));
    dirs.push(dir);
    const devKey = randomBytes(32).toString("base64");
    const { config, store, opening } = await openStoreAndTrust({ KMS_DATA_DIR: dir, KMS_ROOT_KEY: devKey });
    if (opening.state !== "unsealed") throw new Error("dev opens unsealed");
    const d = await openDomainWith(config, store, opening.trust);
    const { record, secretKey } = await d.directory.createAccessKey(d.config.accountUin, "", 1);
    await d.close();

    const s = await sealedStart({ KMS_DATA_DIR: dir, KMS_SEAL: "shamir", KMS_ROOT_KEY: devKey });
    const shares = await s.unsealer.initialize(2, 2);
    await s.unsealer.submit(shares[0]!);
    await s.unsealer.submit(shares[1]!);
    const d2 = await s.domain;
    expect(d2.directory.accessKey(record.secretId)?.secretKey).toBe(secretKey);
    await s.server.close();
    await d2.close();
    await expect(openStoreAndTrust({ KMS_DATA_DIR: dir, KMS_ROOT_KEY: devKey })).rejects.toThrow(/set KMS_SEAL=shamir/);
  });
});
