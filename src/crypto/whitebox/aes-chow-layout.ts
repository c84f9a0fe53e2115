/**
 * Body of a white-box AES-256 table file (layout 1, Chow et al.; see
 * aes-chow.ts for what each table computes). Sections in this order, words
 * big-endian, no padding:
 *
 *   section                       present when        size (bytes)
 *   Type I tables                 flag bit 0          16 × 256 × 16
 *     table i, entry x = 16 bytes: the contribution of input byte i
 *   Type I XOR chain              flag bit 0          15 × 32 × 128
 *   13 rounds, each:                                  57,344
 *     Type II                                         16 × 256 × 4
 *       table p (state position 0..15), entry x = u32; table p reads input
 *       byte src(p): ShiftRows (encrypt) or InvShiftRows (decrypt)
 *     XOR II                                          4 × 3 × 8 × 128
 *       column c, step s, nibble n: XORs the accumulator (Type II word of
 *       row 0 at s = 0) with the word of row s+1
 *     Type III                                        16 × 256 × 4
 *       table 4c+k reads byte k of column c's XOR II result
 *     XOR III                                         4 × 3 × 8 × 128
 *       column c's result is state bytes 4c..4c+3
 *   Final tables                  flag bit 1 clear    16 × 256
 *     table p, entry x: output byte p from input byte src(p)
 *   Final wide tables             flag bit 1 set      16 × 256 × 16
 *   Final XOR chain               flag bit 1 set      15 × 32 × 128
 *
 * Nibble n of a word is bits 28−4n..31−4n (byte k = state row k holds
 * nibbles 2k, 2k+1); nibble n of a 16-byte value is the high (n even) or
 * low half of byte ⌊n/2⌋. An XOR table has 256 four-bit entries, entry
 * a·16+b (a the accumulator's nibble) packed two per byte: entry e is the
 * high half of byte ⌊e/2⌋ when e is even. A chain over m inputs of N nibbles
 * stores step s (1..m−1), nibble n at table (s−1)·N+n.
 *
 * Without external encodings: 749,568 bytes of body (the file, with header
 * and checksum, 749,632); with both, 999,424.
 */
import type { ChowTables, ChowWideStage } from "./aes-chow.js";

export const AES_ROUND_BYTES = 2 * (16 * 256 * 4) + 2 * (4 * 3 * 8 * 128);
const WIDE_BYTES = 16 * 256 * 16 + 15 * 32 * 128;

/** Packs 256-entry nibble tables two entries per byte. */
export function packNibbleTables(tables: Uint8Array): Uint8Array {
  const out = new Uint8Array(tables.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = ((tables[2 * i] as number) << 4) | (tables[2 * i + 1] as number);
  return out;
}

class Writer {
  readonly out: Uint8Array;
  private readonly view: DataView;
  private pos = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.view = new DataView(this.out.buffer);
  }
  bytes(b: Uint8Array): void {
    this.out.set(b, this.pos);
    this.pos += b.length;
  }
  words(w: Uint32Array): void {
    for (const x of w) {
      this.view.setUint32(this.pos, x);
      this.pos += 4;
    }
  }
  done(): Uint8Array {
    if (this.pos !== this.out.length) throw new Error("aes-chow-layout: size mismatch");
    return this.out;
  }
}

/** The body's size for the given external-encoding flags. */
export function aesBodyLength(externalInput: boolean, externalOutput: boolean): number {
  return (externalInput ? WIDE_BYTES : 0) + 13 * AES_ROUND_BYTES + (externalOutput ? WIDE_BYTES : 16 * 256);
}

export function encodeAesBody(t: ChowTables): Uint8Array {
  const w = new Writer(aesBodyLength(t.input !== undefined, t.finalWide !== undefined));
  const wide = (s: ChowWideStage) => {
    w.bytes(s.tables);
    w.bytes(packNibbleTables(s.xor));
  };
  if (t.input) wide(t.input);
  for (const r of t.rounds) {
    w.words(r.typeII);
    w.bytes(packNibbleTables(r.xorII));
    w.words(r.typeIII);
    w.bytes(packNibbleTables(r.xorIII));
  }
  if (t.finalWide) wide(t.finalWide);
  else if (t.final) w.bytes(t.final);
  return w.done();
}
