/**
 * The randomness a table generation draws from: a byte stream with unbiased
 * small draws. Generation takes tens of thousands of small values (nibble
 * permutations, matrix columns), so the stream reads its source in 16 KiB
 * chunks instead of one call per value.
 *
 * Two sources: the OS CSPRNG (every generation fresh, the default) and a
 * seeded DRBG (AES-256-CTR keystream under a 32-byte seed) for a service that
 * stores a seed and rebuilds the same tables on demand instead of storing
 * them.
 */
import { createCipheriv, randomBytes } from "node:crypto";

const CHUNK = 16 * 1024;

export class RandomStream {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;

  constructor(private readonly refill: (n: number) => Uint8Array) {}

  /** One uniformly random byte. */
  byte(): number {
    if (this.pos >= this.buf.length) {
      this.buf = this.refill(CHUNK);
      this.pos = 0;
    }
    return this.buf[this.pos++] as number;
  }

  /** A uniformly random unsigned 32-bit integer. */
  uint32(): number {
    return ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
  }

  /** A uniformly random integer in [0, n), 1 ≤ n ≤ 256, by rejection (no modulo bias). */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError("RandomStream.below: n must be in 1..256");
    const limit = 256 - (256 % n);
    for (;;) {
      const b = this.byte();
      if (b < limit) return b % n;
    }
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.byte();
    return out;
  }
}

/** A stream over the operating system's CSPRNG: a fresh generation every time. */
export function createCsprngStream(): RandomStream {
  return new RandomStream((n) => randomBytes(n));
}

/**
 * A deterministic stream from a 32-byte secret seed (AES-256-CTR keystream,
 * zero IV, the seed as key): the same seed gives the same tables. The seed is
 * as secret as the key itself: with it and the key anyone rebuilds the
 * encodings.
 */
export function createSeededStream(seed: Uint8Array): RandomStream {
  if (seed.length !== 32) throw new RangeError("createSeededStream: the seed must be 32 bytes");
  const ctr = createCipheriv("aes-256-ctr", seed, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  return new RandomStream((n) => new Uint8Array(ctr.update(n === CHUNK ? zeros : Buffer.alloc(n))));
}
