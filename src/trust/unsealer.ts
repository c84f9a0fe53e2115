/**
 * A Shamir-sealed service before it is unsealed. It holds no key: the store's
 * keyring is wrapped under a key that exists only as shares. It answers
 * status, takes shares one at a time (each checked against its commitment
 * as it arrives) and, at the threshold, rebuilds the key, unwraps the keyring
 * and resolves `unsealed` with the running Trust.
 *
 * On a store without a Shamir keyring (fresh, or moving from the development
 * root) it first takes one initialisation: the keyring's wrapping key is made
 * and split, the shares are returned once, and the service stays sealed until
 * k of them come back, as `vault operator init` does.
 */
import { randomBytes } from "../crypto/random.js";
import { KmsError } from "../errors.js";
import type { BatchOp } from "../store/store.js";
import { wipeKeyring, type StoredKeyring } from "./keyring.js";
import { keyringOp, readKeyringRecord, unwrapKeyring } from "./keyring-record.js";
import { RootUnwrapError, softwareRoot } from "./root.js";
import { assertShareOf, combineShares, parseShare, ShareError, splitKey, type ParsedShare, type ShamirParams } from "./shamir.js";
import { Trust, type TrustDeps } from "./trust.js";

export interface SealStatus {
  sealed: boolean;
  /** False until InitializeSeal has split the key. */
  initialized: boolean;
  /** Shares needed, and handed out (0 before initialisation). */
  threshold: number;
  shares: number;
  /** Distinct valid shares received since the last reset. */
  progress: number;
  /** Names the set of shares this store's seal takes ("" before initialisation). */
  setId: string;
}

/** The store's state when the unsealer starts. */
export type SealedStart =
  | { initialized: true; params: ShamirParams }
  /** No Shamir keyring yet: `keyring` is what initialisation wraps (new, or the development one), with `ops` written alongside. */
  | { initialized: false; keyring: StoredKeyring; ops: readonly BatchOp[]; migratingFrom: "dev" | undefined };

export class Unsealer {
  private state: SealedStart;
  private received: ParsedShare[] = [];
  private trust: Trust | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private resolveUnsealed!: (trust: Trust) => void;
  private rejectUnsealed!: (err: unknown) => void;
  /** Resolves with the running Trust once k shares arrive; rejects if the unsealer is closed first. */
  readonly unsealed: Promise<Trust>;

  constructor(
    private readonly deps: TrustDeps,
    start: SealedStart,
  ) {
    this.state = start;
    this.unsealed = new Promise<Trust>((resolve, reject) => {
      this.resolveUnsealed = resolve;
      this.rejectUnsealed = reject;
    });
    // Whoever awaits `unsealed` handles a close; nobody awaiting must not crash the process.
    this.unsealed.catch(() => undefined);
  }

  status(): SealStatus {
    const s = this.state;
    if (!s.initialized) return { sealed: true, initialized: false, threshold: 0, shares: 0, progress: 0, setId: "" };
    return { sealed: this.trust === undefined, initialized: true, threshold: s.params.threshold, shares: s.params.shares, progress: this.received.length, setId: s.params.setId };
  }

  /** Splits a new wrapping key into `shares` shares, `threshold` of which unseal; returns them (shown once). */
  initialize(shares: number, threshold: number): Promise<string[]> {
    return this.exclusive(async () => {
      const s = this.state;
      if (s.initialized) throw new KmsError("UnsupportedOperation", "the seal is already initialised");
      const key = randomBytes(32);
      let split: Awaited<ReturnType<typeof splitKey>>;
      try {
        split = await splitKey(key, shares, threshold).catch((err: unknown) => {
          throw err instanceof ShareError ? new KmsError("InvalidParameterValue", err.message) : err;
        });
        const root = softwareRoot(key, { mode: "shamir", ...split.params });
        try {
          await this.deps.store.batch([await keyringOp(root, s.keyring), ...s.ops]);
        } finally {
          await root.close();
        }
      } finally {
        key.fill(0);
      }
      wipeKeyring(s.keyring);
      this.deps.log.info(`kms: Shamir seal ${split.params.setId} initialised (${threshold} of ${shares})${s.migratingFrom ? `; the keyring moved from the ${s.migratingFrom} root, which no longer opens it` : ""}; the service stays sealed until ${threshold} shares are submitted`);
      this.state = { initialized: true, params: split.params };
      return split.shares;
    });
  }

  /** Takes one share; at the threshold, unseals. Malformed, foreign and repeated shares are refused and change nothing. */
  submit(text: string): Promise<SealStatus> {
    return this.exclusive(async () => {
      const s = this.state;
      if (!s.initialized) throw new KmsError("UnsupportedOperation", "the seal is not initialised: call InitializeSeal first");
      if (this.trust) throw new KmsError("UnsupportedOperation", "the service is already unsealed");
      let share: ParsedShare;
      try {
        share = parseShare(text);
        assertShareOf(s.params, share);
      } catch (err) {
        if (err instanceof ShareError) throw new KmsError("InvalidParameterValue", err.message);
        throw err;
      }
      if (this.received.some((r) => r.x === share.x)) throw new KmsError("InvalidParameterValue", "this share was already submitted");
      this.received.push(share);
      this.deps.log.info(`kms: unseal share accepted (${this.received.length} of ${s.params.threshold})`);
      if (this.received.length < s.params.threshold) return this.status();
      const shares = this.received;
      this.received = [];
      await this.open(s.params, shares);
      return this.status();
    });
  }

  /** Forgets the shares received so far. */
  reset(): Promise<SealStatus> {
    return this.exclusive(async () => {
      this.received = [];
      return this.status();
    });
  }

  /** Stops waiting (shutdown while sealed). */
  close(): void {
    this.received = [];
    if (!this.trust) this.rejectUnsealed(new Error("closed while sealed"));
  }

  private async open(params: ShamirParams, shares: ParsedShare[]): Promise<void> {
    const key = await combineShares(shares);
    const root = softwareRoot(key, { mode: "shamir", ...params });
    key.fill(0);
    try {
      const record = await readKeyringRecord(this.deps.store);
      if (!record || record.root.mode !== "shamir" || record.root.setId !== params.setId) throw new KmsError("InternalError", "the keyring record changed while the service was sealed");
      // The Trust keeps the keyring (it rewraps it on rotations): not wiped here.
      this.trust = new Trust(this.deps, root, await unwrapKeyring(root, record));
    } catch (err) {
      await root.close();
      // Every share matched its commitment, so only an altered keyring record gets here.
      if (err instanceof RootUnwrapError) throw new KmsError("InternalError", "the shares rebuild a key that does not unwrap the stored keyring: the keyring record was altered");
      throw err;
    }
    this.deps.log.info(`kms: unsealed (Shamir seal ${params.setId})`);
    this.resolveUnsealed(this.trust);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
