/**
 * Ceilings measured in the runner's own process, on the same machine in the
 * same run: the raw crypto primitive on one core (the runner multiplies it by
 * the cores the server actually used), and the store's synced-write rate at
 * the benchmark's concurrency. The echo ceilings are load runs against
 * bench/echo-server.ts, driven by run.ts like any scenario.
 */
import { createCipheriv, generateKeyPairSync, randomBytes, sign, verify, constants, type KeyObject } from "node:crypto";
import { Level } from "level";
import { aes256Gcm } from "../src/crypto/aes-256-gcm.js";
import { randomNonce } from "../src/crypto/random.js";
import { createSm2Signer, createSm2Verifier, generateSm2KeyPair } from "../src/crypto/asymmetric/sm2.js";
import { opsPerSecond } from "./rate.js";

export type Primitive =
  | "aes-gcm-seal-32"
  | "aes-gcm-seal-4096"
  | "aes-gcm-open-32"
  | "aes-gcm-open-seal-32"
  | "node-aes-gcm-seal-32"
  | "ecc-sign"
  | "ecc-verify"
  | "rsa-sign"
  | "rsa-verify"
  | "sm2-sign"
  | "sm2-verify";

const MAX_OPS = 100_000_000;

const rate = opsPerSecond;

const AAD = randomBytes(60); // about the size of a blob header + context
const KEY = randomBytes(32);

/** The engine's AES-256-GCM, as the KMS runs it (native/aes-gcm: one OpenSSL context per key). */
const AEAD = aes256Gcm.aead(KEY);

// IVs from the engine's nonce pool, as the KMS draws them (a CSPRNG call per IV would be most of what is measured).
function seal(plaintext: Buffer): Buffer {
  const iv = randomNonce(12);
  return Buffer.concat([iv, AEAD.seal(iv, plaintext, AAD)]);
}

function open(sealed: Buffer): Uint8Array {
  return AEAD.open(sealed.subarray(0, 12), sealed.subarray(12), AAD);
}

/** node:crypto's AES-256-GCM, for comparison: createCipheriv sets up a context per call. */
function nodeSeal(plaintext: Buffer): Buffer {
  const iv = randomNonce(12);
  const c = createCipheriv("aes-256-gcm", KEY, iv, { authTagLength: 16 });
  c.setAAD(AAD);
  return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** What each primitive is, for the report. */
export const PRIMITIVE_LABEL: Record<Primitive, string> = {
  "aes-gcm-seal-32": "AES-256-GCM seal 32 B (the engine's, native/aes-gcm)",
  "aes-gcm-seal-4096": "AES-256-GCM seal 4 KiB (the engine's)",
  "aes-gcm-open-32": "AES-256-GCM open 32 B (the engine's)",
  "aes-gcm-open-seal-32": "AES-256-GCM open + seal 32 B (the engine's)",
  "node-aes-gcm-seal-32": "node:crypto AES-256-GCM seal 32 B (createCipheriv per call)",
  "ecc-sign": "node:crypto ECDSA P-256 SHA-256 sign",
  "ecc-verify": "node:crypto ECDSA P-256 SHA-256 verify",
  "rsa-sign": "node:crypto RSA-2048 PSS SHA-256 sign",
  "rsa-verify": "node:crypto RSA-2048 PSS SHA-256 verify",
  "sm2-sign": "SM2DSA sign, src/crypto/asymmetric/sm2.ts (node:crypto has none)",
  "sm2-verify": "SM2DSA verify, src/crypto/asymmetric/sm2.ts (node:crypto has none)",
};

/** Single-thread operations per second of every primitive. */
export function primitiveRates(seconds: number, message: Buffer): Record<Primitive, number> {
  const p32 = randomBytes(32);
  const p4k = randomBytes(4096);
  const sealed = seal(p32);
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pss = (key: KeyObject) => ({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  const ecSig = sign("sha256", message, ec.privateKey);
  const rsaSig = sign("sha256", message, pss(rsa.privateKey));
  const sm2 = generateSm2KeyPair();
  const sm2Signer = createSm2Signer(sm2.privateKey);
  const sm2Verifier = createSm2Verifier(sm2.publicKeySpki);
  const sm2Sig = sm2Signer.sign(message, "RAW");
  const ops: Record<Primitive, () => unknown> = {
    "aes-gcm-seal-32": () => seal(p32),
    "aes-gcm-seal-4096": () => seal(p4k),
    "aes-gcm-open-32": () => open(sealed),
    "aes-gcm-open-seal-32": () => seal(Buffer.from(open(sealed))),
    "node-aes-gcm-seal-32": () => nodeSeal(p32),
    "ecc-sign": () => sign("sha256", message, ec.privateKey),
    "ecc-verify": () => verify("sha256", message, ec.publicKey, ecSig),
    "rsa-sign": () => sign("sha256", message, pss(rsa.privateKey)),
    "rsa-verify": () => verify("sha256", message, pss(rsa.publicKey), rsaSig),
    "sm2-sign": () => sm2Signer.sign(message, "RAW"),
    "sm2-verify": () => sm2Verifier.verify(message, sm2Sig, "RAW"),
  };
  const out = {} as Record<Primitive, number>;
  for (const [name, op] of Object.entries(ops) as [Primitive, () => unknown][]) out[name] = rate(op, seconds);
  return out;
}

/**
 * Synced LevelDB batches per second with `concurrency` writers, each batch
 * shaped like a CreateKey (alias, version, key record), `{ sync: true }`.
 */
export async function storeRate(dir: string, concurrency: number, seconds: number): Promise<number> {
  const db = new Level<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
  await db.open();
  try {
    const version = randomBytes(300);
    const record = randomBytes(900);
    let n = 0;
    let done = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    const writer = async () => {
      while (performance.now() < end && n < MAX_OPS) {
        const id = `${n++}`.padStart(12, "0");
        await db.batch(
          [
            { type: "put", key: `a/bench-${id}`, value: Buffer.from(id) },
            { type: "put", key: `v/${id}/1`, value: version },
            { type: "put", key: `k/${id}`, value: record },
          ],
          { sync: true },
        );
        done++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, writer));
    return done / ((performance.now() - start) / 1000);
  } finally {
    await db.close();
  }
}
