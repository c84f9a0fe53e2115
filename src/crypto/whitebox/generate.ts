/**
 * Generating a white-box key's two table files from its key, with fresh
 * randomness every time (or a stored seed), and checking them before they
 * leave: each file is parsed and run by the device client exactly as a
 * device will, and compared with node:crypto's cipher under the key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { openTables } from "../../../client/whitebox/index.mjs";
import { encodeTableFile, FLAG_EXTERNAL_INPUT, FLAG_EXTERNAL_OUTPUT, LAYOUT_V1, type Direction, type WhiteBoxAlgorithm } from "./format.js";
import { createCsprngStream, createSeededStream } from "./random-stream.js";
import { whiteBoxConstruction, type ExternalEncodings, type WhiteBoxConstruction } from "./registry.js";

export interface GenerateOptions {
  /**
   * A 32-byte secret seed instead of fresh CSPRNG randomness: the same key
   * and seed give byte-identical files, so a store may keep (key, seed)
   * instead of the files. Keep it as secret as the key.
   */
  readonly seed?: Uint8Array;
  /**
   * External encodings (Chow §4.3; Xiao–Lai's outer P's): the files then
   * compute G∘E∘F⁻¹, and F and G come back here, never in the files. CBC as
   * EncryptByWhiteBox answers it needs them off.
   */
  readonly externalEncodings?: boolean;
}

export interface WhiteBoxTableSet {
  readonly algorithm: WhiteBoxAlgorithm;
  /** Random per generation; in both files' headers. */
  readonly tableId: Uint8Array;
  /** The EncryptKey file (format.ts); base64 it for the API. */
  readonly encryptTables: Uint8Array;
  /** The DecryptKey file. */
  readonly decryptTables: Uint8Array;
  /** Only with externalEncodings: per direction, the F and G its tables expect. */
  readonly external?: { readonly encrypt: ExternalEncodings; readonly decrypt: ExternalEncodings };
}

/** Thrown when generated tables do not compute the cipher: a bug, never a caller's fault. */
export class SelfCheckError extends Error {
  override readonly name = "SelfCheckError";
}

function referenceBlock(c: WhiteBoxConstruction, key: Uint8Array, direction: Direction, block: Uint8Array): Uint8Array {
  const cipher = direction === "encrypt" ? createCipheriv(c.ecbCipher, key, null) : createDecipheriv(c.ecbCipher, key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

function selfCheck(c: WhiteBoxConstruction, key: Uint8Array, file: Uint8Array, direction: Direction, external?: ExternalEncodings): void {
  const tables = openTables(file);
  if (tables.algorithm !== c.algorithm || tables.direction !== direction) throw new SelfCheckError("white-box self-check: header mismatch");
  for (let i = 0; i < 2; i++) {
    const block = new Uint8Array(randomBytes(16));
    const out = new Uint8Array(16);
    tables.transform(external ? external.input.encode(block) : block, 0, out, 0);
    const got = external ? external.output.decode(out) : out;
    if (!Buffer.from(got).equals(referenceBlock(c, key, direction, block))) throw new SelfCheckError(`white-box self-check: ${c.algorithm} ${direction} tables do not compute the cipher`);
  }
}

/** Both table files of a white-box key (32-byte key for AES_256, 16-byte for SM4). */
export function generateWhiteBoxTables(algorithm: WhiteBoxAlgorithm, key: Uint8Array, options: GenerateOptions = {}): WhiteBoxTableSet {
  const c = whiteBoxConstruction(algorithm);
  if (!c) throw new RangeError(`generateWhiteBoxTables: unknown algorithm ${algorithm}`);
  if (key.length !== c.keyLength) throw new RangeError(`generateWhiteBoxTables: ${algorithm} needs a ${c.keyLength}-byte key`);
  const random = options.seed ? createSeededStream(options.seed) : createCsprngStream();
  const external = options.externalEncodings === true;
  const flags = external ? FLAG_EXTERNAL_INPUT | FLAG_EXTERNAL_OUTPUT : 0;
  const tableId = random.bytes(16);
  const build = (direction: Direction) => {
    const built = c.build(key, direction, random, external);
    const file = encodeTableFile({ algorithm, layout: LAYOUT_V1, direction, flags, tableId }, built.body);
    selfCheck(c, key, file, direction, built.external);
    return { file, external: built.external };
  };
  const enc = build("encrypt");
  const dec = build("decrypt");
  return {
    algorithm,
    tableId,
    encryptTables: enc.file,
    decryptTables: dec.file,
    ...(enc.external && dec.external ? { external: { encrypt: enc.external, decrypt: dec.external } } : {}),
  };
}

/** A new white-box key from the CSPRNG: 32 bytes for AES_256, 16 for SM4. */
export function generateWhiteBoxKey(algorithm: WhiteBoxAlgorithm): Uint8Array {
  const c = whiteBoxConstruction(algorithm);
  if (!c) throw new RangeError(`generateWhiteBoxKey: unknown algorithm ${algorithm}`);
  return new Uint8Array(randomBytes(c.keyLength));
}
