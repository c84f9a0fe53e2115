/**
 * native/aes-gcm (one OpenSSL context per key) against node:crypto's
 * AES-256-GCM, and its refusals: a malformed call throws a TypeError and
 * never reaches OpenSSL.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import * as gcm from "kms-aes-gcm";
import { describe, expect, it } from "vitest";

function nodeSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function nodeOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
}

/** A view at an odd offset inside a larger buffer: the addon must honour byteOffset. */
function offsetCopy(bytes: Uint8Array): Uint8Array {
  const host = randomBytes(bytes.length + 7);
  host.set(bytes, 3);
  return host.subarray(3, 3 + bytes.length);
}

describe("native AES-256-GCM", () => {
  const key = randomBytes(32);
  const ctx = gcm.create(key);

  it("seals exactly as node:crypto does, and each opens the other's, for many lengths and one context", () => {
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 100, 4096, 65_537]) {
      for (const aadLength of [0, 1, 22, 61]) {
        const iv = randomBytes(12);
        const plaintext = randomBytes(length);
        const aad = randomBytes(aadLength);
        const out = Buffer.alloc(length + 16);
        gcm.seal(ctx, offsetCopy(iv), offsetCopy(plaintext), offsetCopy(aad), out);
        expect(out.equals(nodeSeal(key, iv, plaintext, aad))).toBe(true);
        const opened = Buffer.alloc(length);
        expect(gcm.open(ctx, iv, offsetCopy(out), aad, opened)).toBe(true);
        expect(opened.equals(plaintext)).toBe(true);
        expect(nodeOpen(key, iv, out, aad).equals(plaintext)).toBe(true);
      }
    }
  });

  it("refuses a flipped bit anywhere, zeroing what it wrote", () => {
    const iv = randomBytes(12);
    const plaintext = randomBytes(40);
    const aad = randomBytes(22);
    const sealed = nodeSeal(key, iv, plaintext, aad);
    for (let i = 0; i < sealed.length; i++) {
      const t = Buffer.from(sealed);
      t[i] = (t[i] as number) ^ (1 << i % 8);
      const out = Buffer.alloc(40, 0xaa);
      expect(gcm.open(ctx, iv, t, aad, out)).toBe(false);
      expect(out.equals(Buffer.alloc(40))).toBe(true);
    }
    const otherIv = Buffer.from(iv);
    otherIv[11] = (otherIv[11] as number) ^ 1;
    expect(gcm.open(ctx, otherIv, sealed, aad, Buffer.alloc(40))).toBe(false);
    expect(gcm.open(ctx, iv, sealed, aad.subarray(1), Buffer.alloc(40))).toBe(false);
    expect(gcm.open(gcm.create(randomBytes(32)), iv, sealed, aad, Buffer.alloc(40))).toBe(false);
    // The context is fine after a refusal.
    const out = Buffer.alloc(40);
    expect(gcm.open(ctx, iv, sealed, aad, out)).toBe(true);
    expect(out.equals(plaintext)).toBe(true);
  });

  it("refuses malformed calls with a TypeError", () => {
    const iv = randomBytes(12);
    const pt = randomBytes(8);
    const bad: [string, () => unknown][] = [
      ["a 31-byte key", () => gcm.create(randomBytes(31))],
      ["a string key", () => gcm.create("k".repeat(32) as unknown as Uint8Array)],
      ["a Uint16Array key", () => gcm.create(new Uint16Array(16) as unknown as Uint8Array)],
      ["no key", () => (gcm.create as () => unknown)()],
      ["an object for a context", () => gcm.seal({} as gcm.GcmContext, iv, pt, new Uint8Array(0), Buffer.alloc(24))],
      ["an 11-byte IV", () => gcm.seal(ctx, iv.subarray(1), pt, new Uint8Array(0), Buffer.alloc(24))],
      ["an output one byte short", () => gcm.seal(ctx, iv, pt, new Uint8Array(0), Buffer.alloc(23))],
      ["an array for plaintext", () => gcm.seal(ctx, iv, [1, 2] as unknown as Uint8Array, new Uint8Array(0), Buffer.alloc(18))],
      ["four arguments", () => (gcm.seal as (...a: unknown[]) => unknown)(ctx, iv, pt, new Uint8Array(0))],
      ["sealed data shorter than a tag", () => gcm.open(ctx, iv, Buffer.alloc(15), new Uint8Array(0), Buffer.alloc(0))],
      ["an open output of the wrong length", () => gcm.open(ctx, iv, Buffer.alloc(24), new Uint8Array(0), Buffer.alloc(24))],
    ];
    for (const [name, call] of bad) expect(call, name).toThrow(TypeError);
  });

  it("works in a worker thread with contexts of its own (the asymmetric worker's ML-KEM uses it)", async () => {
    const iv = randomBytes(12);
    const plaintext = randomBytes(32);
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      const gcm = require(${JSON.stringify(require.resolve("kms-aes-gcm"))});
      const { key, iv, plaintext } = workerData;
      const out = Buffer.alloc(plaintext.length + 16);
      gcm.seal(gcm.create(key), iv, plaintext, new Uint8Array(0), out);
      parentPort.postMessage(out);
    `;
    const worker = new Worker(source, { eval: true, workerData: { key, iv, plaintext } });
    const sealed = await new Promise<Uint8Array>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await worker.terminate();
    expect(Buffer.from(sealed).equals(nodeSeal(key, iv, plaintext, new Uint8Array(0)))).toBe(true);
  });
});
