/**
 * The unsealed root of trust at run time: the keyring as a RootKey every
 * family seals with, the registry of sealed record kinds, and the two
 * rotations (the keyring: a new sealing version and every record rewrapped
 * in the background; the root: the keyring rewrapped under a new HSM key or
 * new Shamir shares). Every change of the keyring record is one batch, made
 * one at a time.
 */
import type { Clock } from "../clock.js";
import { createKeyringRootKey, type KeyringRootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import type { Logger } from "../log.js";
import { SCHEMA } from "../store/keyspace.js";
import type { BatchOp, KvStore } from "../store/store.js";
import { withNewVersion, withoutVersionsBelow, type StoredKeyring } from "./keyring.js";
import { keyringAad, keyringOp, readKeyringRecord, unwrapKeyring } from "./keyring-record.js";
import { trustKeyspace } from "./keyspace.js";
import type { Pkcs11Root } from "./pkcs11-root.js";
import { RootUnwrapError, softwareRoot, type RootOfTrust, type RootParams, type SealMode } from "./root.js";
import { decodeProgress, encodeProgress, KeyringRotation, newProgress, type RotationProgress } from "./rotation.js";
import { SealedRecordRegistry } from "../crypto/sealed-records.js";
import { assertShareOf, combineShares, parseShare, ShareError, splitKey, type ParsedShare } from "./shamir.js";
import { randomBytes } from "../crypto/random.js";

export interface TrustStatus {
  mode: SealMode;
  root: RootParams;
  current: number;
  versions: { version: number; createTime: number }[];
  rotation: RotationProgress | undefined;
}

/** What RotateRootOfTrust takes in Shamir mode: the current quorum and the new split. */
export interface ShamirRekey {
  currentShares: readonly string[];
  shares: number;
  threshold: number;
}

export interface TrustDeps {
  store: KvStore;
  clock: Clock;
  log: Logger;
  /** Records per rotation page (tests use small pages). */
  rotationPage?: number;
}

export class Trust {
  readonly rootKey: KeyringRootKey;
  /** Families register the kinds of sealed records they store here, before startRotations(). */
  readonly records = new SealedRecordRegistry();
  private rotation: KeyringRotation | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: TrustDeps,
    private root: RootOfTrust,
    private keyring: StoredKeyring,
  ) {
    this.rootKey = createKeyringRootKey(keyring);
    // The trust's own records: the keyring is wrapped by the root, not the keyring; the progress holds nothing sealed.
    this.records.declarePlain(`${SCHEMA}/trust/`);
  }

  get mode(): SealMode {
    return this.root.params.mode;
  }

  /** A store older than the keyring: its directory records are not authenticated yet (Directory.open adopts them once). */
  get adoptLegacyDirectory(): boolean {
    return this.keyring.adoptLegacyDirectory;
  }

  /** Clears the one-time adoption flag: called by the directory once its records are authenticated. */
  legacyDirectoryAdopted(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.keyring.adoptLegacyDirectory) return;
      const next = { ...this.keyring, adoptLegacyDirectory: false };
      await this.deps.store.batch([await keyringOp(this.root, next)]);
      this.keyring = next;
    });
  }

  /**
   * Resumes a rotation interrupted by a stop or a crash. Call once, after
   * every family has registered its sealed record kinds.
   */
  async startRotations(): Promise<void> {
    await this.exclusive(async () => {
      if (this.rotation || this.closed) return;
      const bytes = await this.deps.store.get(trustKeyspace.rotation);
      if (bytes === undefined) return;
      let progress: RotationProgress;
      try {
        progress = { ...decodeProgress(bytes), resumed: true };
      } catch {
        this.deps.log.error("kms: the keyring rotation progress record is unreadable; starting the rotation over");
        progress = { ...newProgress(this.rootKey.current, this.deps.clock.now()), resumed: true };
      }
      if (progress.target !== this.rootKey.current) {
        this.deps.log.error(`kms: the keyring rotation record targets version ${progress.target} but the keyring's current version is ${this.rootKey.current}; starting over`);
        progress.target = this.rootKey.current;
        progress.kind = undefined;
        progress.after = undefined;
      }
      this.deps.log.info(`kms: resuming the keyring rotation to version ${progress.target} (pass ${progress.pass}, ${progress.rewrapped} record(s) rewrapped so far)`);
      this.rotation = this.newRotation(progress);
    });
  }

  /** Starts a keyring rotation: a new current version now, every record rewrapped in the background. */
  rotateKeyring(): Promise<RotationProgress> {
    return this.exclusive(async () => {
      if (this.closed) throw new KmsError("UnsupportedOperation", "the service is shutting down");
      if (this.rotation) {
        const p = this.rotation.status();
        throw new KmsError("UnsupportedOperation", `a keyring rotation to version ${p.target} is still running (pass ${p.pass}); wait for it to finish`);
      }
      const next = withNewVersion(this.keyring, this.deps.clock.now());
      const progress = newProgress(next.current, this.deps.clock.now());
      await this.deps.store.batch([await keyringOp(this.root, next), { type: "put", key: trustKeyspace.rotation, value: encodeProgress(progress) }]);
      this.keyring = next;
      this.rootKey.install(next);
      this.deps.log.info(`kms: keyring version ${next.current} now seals new records; rewrapping the stored ones in the background`);
      this.rotation = this.newRotation(progress);
      return progress;
    });
  }

  /**
   * Rewraps the keyring under a new root of the same kind: a new key in the
   * HSM, or (with the current quorum) new Shamir shares, returned once.
   */
  rotateRoot(rekey?: ShamirRekey): Promise<{ root: RootParams; shares: string[] }> {
    return this.exclusive(async () => {
      const mode = this.root.params.mode;
      if (mode === "dev")
        throw new KmsError("UnsupportedOperation", "the development root (KMS_ROOT_KEY or root.key) cannot rotate online; move to KMS_SEAL=pkcs11 or shamir");
      let next: RootOfTrust;
      let shares: string[] = [];
      if (mode === "pkcs11") {
        next = (this.root as Pkcs11Root).rotate();
      } else {
        if (!rekey) throw new KmsError("MissingParameter", "a Shamir rekey needs the current shares and the new shares and threshold");
        await this.assertQuorum(rekey.currentShares);
        const key = randomBytes(32);
        try {
          const split = await splitKey(key, rekey.shares, rekey.threshold).catch((err: unknown) => {
            throw err instanceof ShareError ? new KmsError("InvalidParameterValue", err.message) : err;
          });
          next = softwareRoot(key, { mode: "shamir", ...split.params });
          shares = split.shares;
        } finally {
          key.fill(0);
        }
      }
      try {
        await this.deps.store.batch([await keyringOp(next, this.keyring)]);
      } catch (err) {
        await next.close();
        throw err;
      }
      const old = this.root;
      this.root = next;
      await old.close();
      this.deps.log.info(`kms: the keyring is now wrapped by a new root of trust (${describeRoot(next.params)})${mode === "pkcs11" ? `; the previous HSM key (${describeRoot(old.params)}) stays in the token for older backups` : ""}`);
      return { root: next.params, shares };
    });
  }

  async status(): Promise<TrustStatus> {
    return {
      mode: this.mode,
      root: this.root.params,
      current: this.keyring.current,
      versions: this.keyring.entries.map((e) => ({ version: e.version, createTime: e.createTime })),
      rotation: this.rotation?.status(),
    };
  }

  /** Stops the background rotation at a checkpoint and releases the root (HSM session, key in memory). */
  async close(): Promise<void> {
    this.closed = true;
    await this.rotation?.stop();
    await this.exclusive(async () => {
      await this.root.close();
    });
  }

  /** Waits for a running rotation to end (tests and tools). */
  async rotationDone(): Promise<void> {
    await this.rotation?.done;
  }

  private newRotation(progress: RotationProgress): KeyringRotation {
    const rotation = new KeyringRotation(
      this.deps.store,
      this.rootKey,
      this.records,
      progress,
      {
        complete: (target) => this.completeRotation(target),
        abandon: async () => {
          await this.deps.store.batch([{ type: "del", key: trustKeyspace.rotation }]);
          this.rotation = undefined;
        },
      },
      this.deps.log,
      this.deps.rotationPage,
    );
    return rotation;
  }

  private completeRotation(target: number): Promise<void> {
    return this.exclusive(async () => {
      const next = withoutVersionsBelow(this.keyring, target);
      await this.deps.store.batch([await keyringOp(this.root, next), { type: "del", key: trustKeyspace.rotation }]);
      const dropped = this.keyring.entries.filter((e) => e.version < target);
      this.keyring = next;
      this.rootKey.install(next);
      for (const e of dropped) e.key.fill(0);
      this.rotation = undefined;
    });
  }

  /** The shares rebuild the key that wraps the stored keyring (Shamir rekey). */
  private async assertQuorum(texts: readonly string[]): Promise<void> {
    const params = this.root.params;
    if (params.mode !== "shamir") return;
    const parsed: ParsedShare[] = [];
    for (const t of texts) {
      let s: ParsedShare;
      try {
        s = parseShare(t);
        assertShareOf(params, s);
      } catch (err) {
        if (err instanceof ShareError) throw new KmsError("InvalidParameterValue", `current share ${parsed.length + 1}: ${err.message}`);
        throw err;
      }
      if (!parsed.some((p) => p.x === s.x)) parsed.push(s);
    }
    if (parsed.length < params.threshold) throw new KmsError("InvalidParameterValue", `a rekey needs ${params.threshold} distinct current shares, got ${parsed.length}`);
    const key = await combineShares(parsed.slice(0, params.threshold));
    const check = softwareRoot(key, params);
    key.fill(0);
    try {
      const record = await readKeyringRecord(this.deps.store);
      if (!record) throw new KmsError("InternalError", "the keyring record is missing");
      await check.unwrap(record.wrapped, keyringAad(record.root));
    } catch (err) {
      if (err instanceof RootUnwrapError) throw new KmsError("InvalidParameterValue", "the current shares do not rebuild the key that wraps the keyring");
      throw err;
    } finally {
      await check.close();
    }
  }

  /**
   * Replicas: another replica rewrote the keyring record (a keyring rotation
   * began: a new current version; or ended: old versions dropped). It is
   * unwrapped and installed here too, so records that replica seals under the
   * new version open here (within the store watch's delay). For the replica's
   * store watch (src/replica/sync.ts Follower).
   */
  keyringFollower(): { name: string; prefixes: readonly string[]; applyCommit(changes: readonly BatchOp[]): void; rebuild(): Promise<void> } {
    return {
      name: "keyring",
      prefixes: [trustKeyspace.keyring],
      applyCommit: (changes) => {
        if (changes.some((op) => op.key === trustKeyspace.keyring && op.type === "put")) void this.reloadKeyring();
      },
      rebuild: () => this.reloadKeyring(),
    };
  }

  private reloadKeyring(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) return;
      try {
        const record = await readKeyringRecord(this.deps.store);
        if (!record) return;
        const next = await unwrapKeyring(this.root, record);
        const same = next.current === this.keyring.current && next.entries.length === this.keyring.entries.length && next.entries.every((e, i) => e.version === this.keyring.entries[i]?.version);
        if (same) return;
        this.keyring = next;
        this.rootKey.install(next);
        this.deps.log.info(`kms: keyring version ${next.current} installed from the store (versions ${next.entries.map((e) => e.version).join(", ")})`);
      } catch (err) {
        this.deps.log.error("kms: the keyring record in the store changed and does not unwrap under this replica's root of trust (a root rotation elsewhere?): restart this replica", err);
      }
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

export function describeRoot(p: RootParams): string {
  switch (p.mode) {
    case "dev":
      return "development key";
    case "pkcs11":
      return `HSM key "${p.keyLabel}" id ${p.keyId}`;
    case "shamir":
      return `Shamir ${p.threshold} of ${p.shares}, seal ${p.setId}`;
  }
}
