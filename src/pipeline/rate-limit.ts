/** Per caller, per action token buckets: `rate` requests a second, bursts up to `rate`. */
import { KmsError } from "../errors.js";

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** @param rate requests per second per caller and action; 0 turns limiting off */
  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token or throws RequestLimitExceeded. */
  take(caller: string, action: string): void {
    if (this.rate === 0) return;
    const id = `${caller}\u0000${action}`;
    const t = this.now();
    const b = this.buckets.get(id) ?? { tokens: this.rate, at: t };
    b.tokens = Math.min(this.rate, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    if (b.tokens < 1) {
      this.buckets.set(id, b);
      throw new KmsError("RequestLimitExceeded", `${action} is limited to ${this.rate} requests per second per caller`);
    }
    b.tokens -= 1;
    this.buckets.set(id, b);
  }
}
