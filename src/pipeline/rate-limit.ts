/** Per caller, per action token buckets: `rate` requests a second, bursts up to `rate`. */
import { KmsError } from "../errors.js";

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  /** By caller, then action: no key string is built per call. */
  private readonly buckets = new Map<string, Map<string, Bucket>>();

  /** @param rate requests per second per caller and action; 0 turns limiting off */
  constructor(
    private readonly rate: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token or throws RequestLimitExceeded. */
  take(caller: string, action: string): void {
    if (this.rate === 0) return;
    const t = this.now();
    let actions = this.buckets.get(caller);
    if (!actions) this.buckets.set(caller, (actions = new Map()));
    let b = actions.get(action);
    if (!b) actions.set(action, (b = { tokens: this.rate, at: t }));
    b.tokens = Math.min(this.rate, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    if (b.tokens < 1) throw new KmsError("RequestLimitExceeded", `${action} is limited to ${this.rate} requests per second per caller`);
    b.tokens -= 1;
  }
}
