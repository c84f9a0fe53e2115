/** Token buckets per caller and action: bursts up to the rate, refill with time, one bucket per (caller, action). */
import { describe, expect, it } from "vitest";
import { KmsError } from "../../src/errors.js";
import { RateLimiter } from "../../src/pipeline/rate-limit.js";

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof KmsError) return err.code;
    throw err;
  }
}

describe("RateLimiter", () => {
  it("allows a burst of `rate` calls, refuses the next, and refills with time", () => {
    let now = 1000;
    const limiter = new RateLimiter(3, () => now);
    for (let i = 0; i < 3; i++) expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBeUndefined();
    expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBe("RequestLimitExceeded");
    now += 334; // one token back (3 a second)
    expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBeUndefined();
    expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBe("RequestLimitExceeded");
    now += 10_000; // never more than the burst
    for (let i = 0; i < 3; i++) expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBeUndefined();
    expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBe("RequestLimitExceeded");
  });

  it("keeps one bucket per caller and action", () => {
    const limiter = new RateLimiter(1, () => 0);
    expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBeUndefined();
    expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBe("RequestLimitExceeded");
    expect(codeOf(() => limiter.take("alice", "Decrypt"))).toBeUndefined();
    expect(codeOf(() => limiter.take("bob", "Encrypt"))).toBeUndefined();
    // Names that a joined key could confuse stay apart.
    expect(codeOf(() => limiter.take("a\u0000b", "c"))).toBeUndefined();
    expect(codeOf(() => limiter.take("a", "b\u0000c"))).toBeUndefined();
  });

  it("does not limit at rate 0", () => {
    const limiter = new RateLimiter(0, () => 0);
    for (let i = 0; i < 1000; i++) expect(codeOf(() => limiter.take("alice", "Encrypt"))).toBeUndefined();
  });
});
