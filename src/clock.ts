/** Time source, injected wherever time decides behaviour (deletion dates, sweeps) so tests need not wait days. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests and simulations. */
export class ManualClock implements Clock {
  constructor(private ms: number = Date.now()) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}

/** Unix seconds of a millisecond time, as the API reports times. */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Unix seconds as the contract's int64 time fields carry them (0 for an absent time). */
export function protoSeconds(ms: number | undefined): bigint {
  return ms === undefined ? 0n : BigInt(unixSeconds(ms));
}
