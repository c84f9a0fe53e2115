/**
 * Tables bound to device fingerprints: every bound device opens them, no
 * other does, and any change to the envelope is refused.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptCbc, openTables, TableFileError } from "../../client/whitebox/index.mjs";
import {
  bindToFingerprints,
  decodeTableFile,
  encryptWhiteBoxCbc,
  FLAG_FINGERPRINT_BOUND,
  generateWhiteBoxKey,
  generateWhiteBoxTables,
  isDeviceFingerprint,
  TableFormatError,
  WHITE_BOX_ALGORITHMS,
} from "../../src/crypto/whitebox/index.js";

/** A random identity of Tencent's DeviceFingerprint pattern. */
function fingerprint(): string {
  const h = randomBytes(33).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 22)}-${h.slice(22, 36)}-${h.slice(36, 50)}-${h.slice(50, 66)}`;
}

function withChecksum(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  createHash("sha256").update(out.subarray(0, out.length - 32)).digest().copy(out, out.length - 32);
  return out;
}

describe.each(WHITE_BOX_ALGORITHMS)("%s tables bound to fingerprints", (algorithm) => {
  const key = generateWhiteBoxKey(algorithm);
  const set = generateWhiteBoxTables(algorithm, key);
  const devices = [fingerprint(), fingerprint(), fingerprint()];
  const bound = bindToFingerprints(set.decryptTables, devices);
  const plaintext = randomBytes(777);
  const { iv, ciphertext } = encryptWhiteBoxCbc(algorithm, key, plaintext);

  it("every bound device decrypts with them", () => {
    for (const fp of devices) {
      const t = openTables(Buffer.from(bound).toString("base64"), { fingerprint: fp });
      expect(Buffer.from(decryptCbc(t, iv, ciphertext)).equals(plaintext)).toBe(true);
    }
  });

  it("another device, no fingerprint, or a malformed one: refused", () => {
    expect(() => openTables(bound, { fingerprint: fingerprint() })).toThrow(/not bound to this device/);
    expect(() => openTables(bound)).toThrow(/give this device's fingerprint/);
    expect(() => openTables(bound, { fingerprint: devices[0]!.toUpperCase() })).toThrow(/pattern/);
  });

  it("the header says bound, and the file holds no table body in the clear", () => {
    const parsed = decodeTableFile(bound);
    expect(parsed.flags & FLAG_FINGERPRINT_BOUND).toBe(FLAG_FINGERPRINT_BOUND);
    expect(Buffer.from(parsed.tableId).equals(Buffer.from(set.tableId))).toBe(true);
    const inner = decodeTableFile(set.decryptTables).body;
    for (const off of [0, 4096, inner.length - 64]) expect(Buffer.from(bound).includes(Buffer.from(inner.subarray(off, off + 32)))).toBe(false);
    expect(bound.length).toBe(set.decryptTables.length + 18 + 48 * devices.length + 12 + 16);
  });

  it("each binding is fresh: binding twice gives different files", () => {
    const again = bindToFingerprints(set.decryptTables, devices);
    expect(Buffer.from(again.subarray(32, 64)).equals(Buffer.from(bound.subarray(32, 64)))).toBe(false);
  });

  it("any change under a recomputed checksum is caught by the envelope's tags", () => {
    const slot = Buffer.from(bound);
    slot[32 + 18 + 5]! ^= 1; // inside slot 0
    const others = devices.slice(1);
    for (const fp of others) expect(openTables(withChecksum(slot), { fingerprint: fp }).direction).toBe("decrypt");
    expect(() => openTables(withChecksum(slot), { fingerprint: devices[0]! })).toThrow(/not bound to this device/);

    const tables = Buffer.from(bound);
    tables[tables.length - 32 - 100]! ^= 1; // inside the sealed table body
    expect(() => openTables(withChecksum(tables), { fingerprint: devices[1]! })).toThrow(/does not verify/);

    const header = Buffer.from(bound);
    header[20]! ^= 1; // the table id, part of every tag's AAD
    expect(() => openTables(withChecksum(header), { fingerprint: devices[2]! })).toThrow(TableFileError);
  });

  it("binding refuses an empty list, more than 200, a malformed identity, and a bound file", () => {
    expect(() => bindToFingerprints(set.decryptTables, [])).toThrow(/between 1 and 200/);
    expect(() => bindToFingerprints(set.decryptTables, Array.from({ length: 201 }, fingerprint))).toThrow(/between 1 and 200/);
    expect(() => bindToFingerprints(set.decryptTables, ["not-a-fingerprint"])).toThrow(/pattern/);
    expect(() => bindToFingerprints(bound, [devices[0]!])).toThrow(TableFormatError);
  });
});

describe("fingerprint identities", () => {
  it("match Tencent's documented pattern exactly", () => {
    expect(isDeviceFingerprint(fingerprint())).toBe(true);
    expect(isDeviceFingerprint("0123abcd-0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcdef")).toBe(true);
    expect(isDeviceFingerprint("0123abcd-0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcde")).toBe(false);
    expect(isDeviceFingerprint("0123ABCD-0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcdef")).toBe(false);
    expect(isDeviceFingerprint("0123abcd_0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcdef")).toBe(false);
  });

  it("200 devices bind in one file that each of them opens", () => {
    const key = generateWhiteBoxKey("SM4");
    const set = generateWhiteBoxTables("SM4", key);
    const many = Array.from({ length: 200 }, fingerprint);
    const bound = bindToFingerprints(set.decryptTables, [...many, many[0]!]); // a duplicate binds once
    expect(bound.length).toBe(set.decryptTables.length + 18 + 48 * 200 + 28);
    const { iv, ciphertext } = encryptWhiteBoxCbc("SM4", key, Buffer.from("device"));
    for (const fp of [many[0]!, many[199]!]) expect(Buffer.from(decryptCbc(openTables(bound, { fingerprint: fp }), iv, ciphertext)).toString()).toBe("device");
  });
});
