/**
 * The table files themselves: no key or round key appears in them, every
 * generation is fresh, a seed reproduces, sizes are as documented, and a
 * damaged or altered file is refused by the client and the engine alike.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openTables, TableFileError } from "../../client/whitebox/index.mjs";
import { decryptionRoundKeys, expandKey256 } from "../../src/crypto/whitebox/aes-reference.js";
import { aesBodyLength } from "../../src/crypto/whitebox/aes-chow-layout.js";
import { decodeTableFile, generateWhiteBoxTables, TableFormatError, WHITE_BOX_ALGORITHMS, type WhiteBoxAlgorithm } from "../../src/crypto/whitebox/index.js";
import { sm4BodyLength } from "../../src/crypto/whitebox/sm4-xiao-lai-layout.js";
import { sm4RoundKeys } from "../../src/crypto/whitebox/sm4-reference.js";
import { block, VECTORS } from "../helpers/whitebox.js";

/** Whether any `width`-byte window of `needle` occurs in `hay`. */
function containsWindow(hay: Uint8Array, needle: Uint8Array, width: number): boolean {
  const h = Buffer.from(hay);
  for (let i = 0; i + width <= needle.length; i++) if (h.includes(Buffer.from(needle.subarray(i, i + width)))) return true;
  return false;
}

const seed = (label: string) => createHash("sha256").update(label).digest();

function wordBytes(words: Uint32Array, littleEndian: boolean): Uint8Array[] {
  return Array.from(words, (w) => {
    const b = Buffer.alloc(4);
    if (littleEndian) b.writeUInt32LE(w);
    else b.writeUInt32BE(w);
    return b;
  });
}

describe("the key is not in the tables", () => {
  const aesKey = VECTORS.AES_256.key;
  const aes = generateWhiteBoxTables("AES_256", aesKey);
  const w = expandKey256(aesKey);
  const aesSecrets = [aesKey, ...w, ...decryptionRoundKeys(w)];

  it("the detector finds a key planted in a table file (so the next tests can fail)", () => {
    const planted = Buffer.from(aes.decryptTables);
    Buffer.from(w[7]!).copy(planted, 123_457);
    expect(containsWindow(planted, w[7]!, 8)).toBe(true);
  });

  it("AES-256: no 8-byte piece of the key, of its 15 round keys or of the inverse cipher's round keys, in either file", () => {
    expect(aesSecrets).toHaveLength(31);
    for (const file of [aes.encryptTables, aes.decryptTables]) {
      for (const secret of aesSecrets) expect(containsWindow(file, secret, 8)).toBe(false);
    }
  });

  it("SM4: no 8-byte piece of the key or of two consecutive round keys, in either file", () => {
    const { key } = VECTORS.SM4;
    const set = generateWhiteBoxTables("SM4", key);
    const rk = sm4RoundKeys(key);
    for (const file of [set.encryptTables, set.decryptTables]) {
      expect(containsWindow(file, key, 8)).toBe(false);
      for (const le of [false, true]) {
        const words = wordBytes(rk, le);
        for (let i = 0; i + 1 < 32; i++) expect(containsWindow(file, Buffer.concat([words[i]!, words[i + 1]!]), 8)).toBe(false);
      }
    }
  });

  it("SM4: none of the 32 four-byte round keys, either byte order (seeded generations, so a 4-byte chance match cannot flake)", () => {
    // A given 4-byte string turns up by chance in 153 KB with probability ~4·10⁻⁵; fixed seeds make the check repeatable.
    const { key } = VECTORS.SM4;
    const rk = sm4RoundKeys(key);
    for (const label of ["whitebox-tables test seed 1", "whitebox-tables test seed 2"]) {
      const set = generateWhiteBoxTables("SM4", key, { seed: seed(label) });
      for (const file of [set.encryptTables, set.decryptTables]) {
        for (const word of [...wordBytes(rk, false), ...wordBytes(rk, true)]) expect(Buffer.from(file).includes(Buffer.from(word))).toBe(false);
      }
    }
  });
});

describe.each(WHITE_BOX_ALGORITHMS)("%s generations", (algorithm: WhiteBoxAlgorithm) => {
  const v = VECTORS[algorithm];

  it("two generations from the same key differ everywhere that matters, and both decrypt", () => {
    const a = generateWhiteBoxTables(algorithm, v.key);
    const b = generateWhiteBoxTables(algorithm, v.key);
    expect(Buffer.from(a.tableId).equals(Buffer.from(b.tableId))).toBe(false);
    for (const [x, y] of [
      [a.encryptTables, b.encryptTables],
      [a.decryptTables, b.decryptTables],
    ] as const) {
      expect(x.length).toBe(y.length);
      // Beyond the header, not even one 16-byte window in common at the same offset.
      let same = 0;
      for (let off = 32; off + 16 <= x.length - 32; off += 16) if (Buffer.from(x.subarray(off, off + 16)).equals(Buffer.from(y.subarray(off, off + 16)))) same++;
      expect(same).toBe(0);
    }
    for (const set of [a, b]) expect(block(openTables(set.decryptTables), v.ciphertext).equals(v.plaintext)).toBe(true);
  });

  it("a seed reproduces the files byte for byte; another seed does not", () => {
    const s1 = generateWhiteBoxTables(algorithm, v.key, { seed: seed("reproduce") });
    const s2 = generateWhiteBoxTables(algorithm, v.key, { seed: seed("reproduce") });
    const s3 = generateWhiteBoxTables(algorithm, v.key, { seed: seed("another") });
    expect(Buffer.from(s1.decryptTables).equals(Buffer.from(s2.decryptTables))).toBe(true);
    expect(Buffer.from(s1.encryptTables).equals(Buffer.from(s2.encryptTables))).toBe(true);
    expect(Buffer.from(s1.decryptTables).equals(Buffer.from(s3.decryptTables))).toBe(false);
  });

  it("the files have the documented header and sizes", () => {
    const set = generateWhiteBoxTables(algorithm, v.key);
    const body = algorithm === "AES_256" ? aesBodyLength(false, false) : sm4BodyLength(false, false);
    expect(body).toBe(algorithm === "AES_256" ? 749_568 : 153_248);
    for (const [file, direction] of [
      [set.encryptTables, "encrypt"],
      [set.decryptTables, "decrypt"],
    ] as const) {
      expect(file.length).toBe(32 + body + 32);
      expect(Buffer.from(file.subarray(0, 4)).toString("latin1")).toBe("TCWB");
      const parsed = decodeTableFile(file);
      expect([parsed.algorithm, parsed.direction, parsed.layout, parsed.flags]).toEqual([algorithm, direction, 1, 0]);
      expect(Buffer.from(parsed.tableId).equals(Buffer.from(set.tableId))).toBe(true);
    }
  });

  it("refuses a key of the wrong length", () => {
    expect(() => generateWhiteBoxTables(algorithm, randomBytes(v.key.length - 1))).toThrow(/byte key/);
  });
});

describe("a damaged or altered file is refused", () => {
  const set = generateWhiteBoxTables("SM4", VECTORS.SM4.key);
  const file = Buffer.from(set.decryptTables);
  const bodyEnd = file.length - 32;

  /** Both readers refuse it, the client with `pattern`. */
  function refused(bytes: Uint8Array, pattern: RegExp): void {
    expect(() => openTables(bytes)).toThrow(TableFileError);
    expect(() => openTables(bytes)).toThrow(pattern);
    expect(() => decodeTableFile(bytes)).toThrow(TableFormatError);
  }

  function withChecksum(bytes: Buffer): Buffer {
    const out = Buffer.from(bytes);
    createHash("sha256").update(out.subarray(0, out.length - 32)).digest().copy(out, out.length - 32);
    return out;
  }

  it.each([
    ["a table entry", 32 + 5_000],
    ["the first body byte", 32],
    ["the last body byte", bodyEnd - 1],
    ["the table id", 20],
    ["the direction", 7],
    ["the checksum", bodyEnd + 3],
  ])("one bit flipped in %s: checksum mismatch", (_name, offset) => {
    const bad = Buffer.from(file);
    bad[offset]! ^= 0x01;
    refused(bad, offset === 7 ? /checksum|direction/ : /checksum/);
  });

  it("truncated or extended", () => {
    refused(file.subarray(0, file.length - 1), /length/);
    refused(Buffer.concat([file, Buffer.alloc(1)]), /length/);
    refused(file.subarray(0, 40), /short|length/);
  });

  it("not a table file, or base64 that is not", () => {
    refused(Buffer.from("not white-box tables: ".repeat(5)), /magic/);
    expect(() => openTables("!!!not base64!!!")).toThrow(/base64/);
  });

  it("well-formed checksums over fields this version does not know", () => {
    const version = Buffer.from(file);
    version[4] = 2;
    refused(withChecksum(version), /format version 2/);
    const algorithm = Buffer.from(file);
    algorithm[5] = 9;
    refused(withChecksum(algorithm), /unknown algorithm/);
    const layout = Buffer.from(file);
    layout[6] = 2;
    refused(withChecksum(layout), /layout/);
    const flags = Buffer.from(file);
    flags[8] = 0x80;
    refused(withChecksum(flags), /unknown flags/);
  });

  it("a body that does not fit the layout its header names", () => {
    // Header says AES-256, body is SM4-sized: consistent length and checksum, wrong layout size.
    const swapped = Buffer.from(file);
    swapped[5] = 1;
    expect(() => openTables(withChecksum(swapped))).toThrow(/AES-256 body has the wrong length/);
  });
});
