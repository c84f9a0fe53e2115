/**
 * The encrypted-file format of `kms encrypt` (src/cli/kms/file-format.ts)
 * and its streaming (file-crypto.ts), without a server: the layout as
 * documented, rebuilt here by hand; every alteration refused; round trips at
 * the sizes where chunking can go wrong.
 */
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { VerificationError, UsageError } from "../../src/cli/kms/errors.js";
import { ByteReader, decryptChunks, encryptChunks, readHeader } from "../../src/cli/kms/file-crypto.js";
import { boundHeader, encodeHeader, fileContext, openChunk, parseFixedHeader, sealChunk, type FileHeader } from "../../src/cli/kms/file-format.js";

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const PREFIX = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
const WRAPPED = Buffer.from("wrapped-data-key");

async function* pieces(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const n = sizes[i++ % sizes.length]!;
    yield data.subarray(offset, offset + n);
    offset += n;
  }
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

async function encryptAll(plain: Buffer, chunkSize: number, sizes = [7, 1000, 3]): Promise<Buffer> {
  return collect(encryptChunks(pieces(plain, sizes), KEY, encodeHeader(chunkSize, PREFIX, WRAPPED)));
}

async function decryptAll(file: Buffer, sizes = [5, 999, 2048]): Promise<Buffer> {
  const reader = new ByteReader(pieces(file, sizes));
  const header = await readHeader(reader);
  return collect(decryptChunks(reader, KEY, header));
}

describe("header", () => {
  it("is laid out as documented", () => {
    const h = encodeHeader(65536, PREFIX, WRAPPED);
    expect(h.bytes.toString("hex")).toBe(`4b4d5345` + `01` + `01` + `00010000` + `0102030405060708` + `0010` + WRAPPED.toString("hex"));
    expect(boundHeader(65536, PREFIX).equals(h.bytes.subarray(0, 18))).toBe(true);
    expect(parseFixedHeader(h.bytes.subarray(0, 20))).toEqual({ chunkSize: 65536, noncePrefix: PREFIX, wrappedKeyLength: WRAPPED.length });
  });

  it("refuses what version 1 cannot read", () => {
    const good = encodeHeader(65536, PREFIX, WRAPPED).bytes.subarray(0, 20);
    const variant = (at: number, value: number, width = 1) => {
      const b = Buffer.from(good);
      b.writeUIntBE(value, at, width);
      return b;
    };
    const cases: [Buffer, RegExp][] = [
      [variant(0, 0x4b4d5346, 4), /not a kms-encrypted file/],
      [variant(4, 2), /unsupported format version 2/],
      [variant(5, 2), /unsupported cipher suite 2/],
      [variant(6, 512, 4), /chunk size 512 is out of range/],
      [variant(6, 8 * 1024 * 1024, 4), /chunk size 8388608 is out of range/],
      [variant(18, 0, 2), /wrapped key length 0/],
      [variant(18, 5000, 2), /wrapped key length 5000/],
      [good.subarray(0, 19), /not a kms-encrypted file/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseFixedHeader(bytes)).toThrow(VerificationError);
      expect(() => parseFixedHeader(bytes)).toThrow(message);
    }
  });

  it("binds the data key's context to the header's first 18 bytes, keeping the caller's members", () => {
    const bound = boundHeader(65536, PREFIX);
    const member = "4b4d53450101000100000102030405060708";
    expect(fileContext("", bound)).toBe(`{"kms-file":"${member}"}`);
    expect(JSON.parse(fileContext('{"app":"orders","n":"1"}', bound))).toEqual({ app: "orders", n: "1", "kms-file": member });
    expect(() => fileContext('{"kms-file":"x"}', bound)).toThrow(UsageError);
    expect(() => fileContext("[1]", bound)).toThrow(UsageError);
    // Another nonce prefix, another context: a wrapped key cannot move between files.
    expect(fileContext("", boundHeader(65536, Buffer.alloc(8)))).not.toBe(fileContext("", bound));
  });
});

describe("chunks", () => {
  const header = encodeHeader(1024, PREFIX, WRAPPED);

  it("are AES-256-GCM with nonce = prefix || index and aad = header || index || final", () => {
    const plaintext = Buffer.from("hello, chunk");
    const nonce = Buffer.concat([PREFIX, Buffer.from([0, 0, 0, 7])]);
    const aad = Buffer.concat([header.bytes, Buffer.from([0, 0, 0, 7, 1])]);
    const c = createCipheriv("aes-256-gcm", KEY, nonce);
    c.setAAD(aad);
    const expected = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    expect(sealChunk(KEY, header, 7, true, plaintext).equals(expected)).toBe(true);
    expect(openChunk(KEY, header, 7, true, expected).toString()).toBe("hello, chunk");
  });

  it("refuse any change of content, position, finality, header or key", () => {
    const sealed = sealChunk(KEY, header, 3, false, randomBytes(1024));
    const flipped = (at: number) => {
      const b = Buffer.from(sealed);
      b[at]! ^= 1;
      return b;
    };
    const otherHeader: FileHeader = encodeHeader(1024, PREFIX, Buffer.from("wrapped-data-kez"));
    const attempts: (() => Buffer)[] = [
      () => openChunk(KEY, header, 3, false, flipped(0)),
      () => openChunk(KEY, header, 3, false, flipped(sealed.length - 1)),
      () => openChunk(KEY, header, 4, false, sealed),
      () => openChunk(KEY, header, 3, true, sealed),
      () => openChunk(KEY, otherHeader, 3, false, sealed),
      () => openChunk(Buffer.alloc(32), header, 3, false, sealed),
      () => openChunk(KEY, header, 3, false, sealed.subarray(0, sealed.length - 1)),
      () => openChunk(KEY, header, 3, false, sealed.subarray(0, 15)),
    ];
    for (const attempt of attempts) expect(attempt).toThrow(/chunk \d does not authenticate/);
    expect(openChunk(KEY, header, 3, false, sealed)).toHaveLength(1024);
  });
});

describe("streams", () => {
  it.each([0, 1, 1023, 1024, 1025, 3 * 1024, 3 * 1024 + 17])("round-trip %i bytes in 1 KiB chunks, from pieces of any size", async (n) => {
    const plain = randomBytes(n);
    const file = await encryptAll(plain, 1024);
    const chunks = Math.max(1, Math.ceil(n / 1024));
    expect(file.length).toBe(20 + WRAPPED.length + n + 16 * chunks);
    expect((await decryptAll(file)).equals(plain)).toBe(true);
    expect((await decryptAll(file, [1])).equals(plain)).toBe(true);
  });

  it("refuse a stream cut at a chunk boundary, cut in its header, missing its body, or with data after its end", async () => {
    const file = await encryptAll(randomBytes(3 * 1024 + 5), 1024);
    const headerLength = 20 + WRAPPED.length;
    const frame = 1024 + 16;
    await expect(decryptAll(file.subarray(0, headerLength + 2 * frame))).rejects.toThrow(/chunk 1 does not authenticate/);
    await expect(decryptAll(file.subarray(0, headerLength + 3 * frame))).rejects.toThrow(/chunk 2 does not authenticate/);
    await expect(decryptAll(file.subarray(0, headerLength))).rejects.toThrow(/ends before its final chunk/);
    await expect(decryptAll(file.subarray(0, headerLength - 1))).rejects.toThrow(/ends inside its header/);
    await expect(decryptAll(Buffer.concat([file, Buffer.from([0])]))).rejects.toThrow(/chunk 3 does not authenticate/);
    await expect(decryptAll(Buffer.alloc(0))).rejects.toThrow(/empty input/);
    // An exact multiple of the chunk size ends in a full final chunk; one more chunk cannot be appended.
    const exact = await encryptAll(randomBytes(2 * 1024), 1024);
    const spliced = Buffer.concat([exact, file.subarray(headerLength + frame, headerLength + 2 * frame)]);
    await expect(decryptAll(spliced)).rejects.toThrow(/chunk 1 does not authenticate/);
  });

  it("reads exact byte counts across pieces", async () => {
    const reader = new ByteReader(pieces(Buffer.from("abcdefghij"), [3, 1, 4]));
    expect((await reader.read(2)).toString()).toBe("ab");
    expect((await reader.read(5)).toString()).toBe("cdefg");
    const target = Buffer.alloc(8);
    expect((await reader.read(8, target)).toString()).toBe("hij");
    expect(await reader.read(1)).toHaveLength(0);
  });
});
