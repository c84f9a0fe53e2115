/**
 * The unsealed root of trust at run time: the keyring as a RootKey every
 * family seals with, the registry of sealed record kinds, and the two
 * rotations (the keyring: a new sealing version and every record rewrapped
 * in the background; the root: the keyring rewrapped under a new HSM key or
 * new Shamir shares). Every change of the keyring record is one batch, made
 * one at a time.
 *
 * Replicas (several processes on one etcd): each holds the keyring in memory
 * and follows the record from the store's watch (keyringFollower): a keyring
 * rotation elsewhere is unwrapped and installed here; a root rotation
 * elsewhere is followed when this replica can open the new root (an HSM
 * root: the new key, by the id the record names, in the same token; a
 * development root never rotates online). A Shamir rekey elsewhere cannot be
 * followed (the new key exists only as the new shares): this replica keeps
 * the keyring it holds, which a rekey does not change, says so in its log,
 * and refuses to change the keyring or the root until it is restarted and
 * unsealed with the new shares. Every change of the keyring record here reads
 * it fresh, installs what another replica stored, and is guarded by those
 * bytes, so two replicas rotating at once cannot lose a keyring version or
 * wrap the keyring back under a root that was rotated away.
 */
import type { Clock } from "../clock.js";
import { createKeyringRootKey, type KeyringRootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import type { Logger } from "../log.js";
import { retryOnConflict } from "../store/guarded.js";
import { SCHEMA } from "../store/keyspace.js";
import { bytesEqual, type BatchOp, type KvStore } from "../store/store.js";
import { withNewVersion, withoutVersionsBelow, type StoredKeyring } from "./keyring.js";
import { keyringAad, keyringOp, parseKeyringRecord, readKeyringRecord, unwrapKeyring, type KeyringRecord } from "./keyring-record.js";
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
  /** The stored keyring record this replica's keyring and root match (undefined: not read yet). */
  private stored: Uint8Array | undefined;
  /** A stored record this replica's root cannot open (reported once). */
  private unopenable: Uint8Array | undefined;

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
    return this.changeKeyring(async (read) => {
      if (!this.keyring.adoptLegacyDirectory) return;
      const next = { ...this.keyring, adoptLegacyDirectory: false };
      await this.writeKeyring(read, this.root, next);
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
    return this.changeKeyring(async (read) => {
      if (this.closed) throw new KmsError("UnsupportedOperation", "the service is shutting down");
      if (this.rotation) {
        const p = this.rotation.status();
        throw new KmsError("UnsupportedOperation", `a keyring rotation to version ${p.target} is still running (pass ${p.pass}); wait for it to finish`);
      }
      // Another replica's rotation, still running there.
      const running = await this.deps.store.get(trustKeyspace.rotation);
      if (running !== undefined) throw new KmsError("UnsupportedOperation", "a keyring rotation started by another replica is still running; wait for it to finish");
      const next = withNewVersion(this.keyring, this.deps.clock.now());
      const progress = newProgress(next.current, this.deps.clock.now());
      await this.writeKeyring(read, this.root, next, [{ type: "put", key: trustKeyspace.rotation, value: encodeProgress(progress) }]);
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
    return this.changeKeyring(async (read) => {
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
        await this.writeKeyring(read, next, this.keyring);
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
    return this.changeKeyring(async (read) => {
      const next = withoutVersionsBelow(this.keyring, target);
      await this.writeKeyring(read, this.root, next, [{ type: "del", key: trustKeyspace.rotation }]);
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
   * began: a new current version; or ended: old versions dropped; or the root
   * rotated). What it holds is installed here too, so records that replica
   * seals under a new version open here (within the store watch's delay).
   * For the replica's store watch (src/replica/sync.ts Follower).
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
        const bytes = await this.deps.store.get(trustKeyspace.keyring);
        if (bytes === undefined || (this.stored !== undefined && bytesEqual(bytes, this.stored))) return;
        await this.adopt(bytes);
      } catch (err) {
        this.deps.log.error("kms: the keyring record in the store changed and could not be read", err);
      }
    });
  }

  /**
   * One change of the keyring record, one at a time in this process: `change`
   * gets the record's bytes as stored now (what it guards its batch with,
   * writeKeyring), after whatever they hold has been installed here. Run
   * again when another replica changed the record in between.
   */
  private changeKeyring<T>(change: (read: Uint8Array) => Promise<T>): Promise<T> {
    return this.exclusive(() =>
      retryOnConflict("the keyring", async () => {
        const bytes = await this.deps.store.get(trustKeyspace.keyring);
        if (bytes === undefined) throw new KmsError("InternalError", "the keyring record is missing");
        if (this.stored === undefined || !bytesEqual(bytes, this.stored)) {
          if (!(await this.adopt(bytes)))
            throw new KmsError(
              "UnsupportedOperation",
              `the keyring record was re-wrapped by another replica under ${describeRoot(parseKeyringRecord(bytes).root)}, which this replica's root of trust cannot open: restart this replica${this.mode === "shamir" ? " and unseal it with the new shares" : ""} before changing the keyring or the root here`,
            );
        }
        return change(bytes);
      }),
    );
  }

  /** Stores `keyring` wrapped under `root` (with `more` ops), only if the record still holds `read`. */
  private async writeKeyring(read: Uint8Array, root: RootOfTrust, keyring: StoredKeyring, more: readonly BatchOp[] = []): Promise<void> {
    const op = await keyringOp(root, keyring);
    await this.deps.store.batch([op, ...more], { guards: [{ key: trustKeyspace.keyring, value: read }] });
    if (op.type === "put") this.stored = op.value;
  }

  /**
   * Installs what a stored keyring record holds, following a root rotation
   * when this replica can open the new root. False when it cannot (said once
   * in the log): this replica keeps the keyring it holds.
   */
  private async adopt(bytes: Uint8Array): Promise<boolean> {
    const record = parseKeyringRecord(bytes);
    let keyring: StoredKeyring;
    try {
      keyring = await unwrapKeyring(this.root, record);
    } catch (err) {
      if (!(err instanceof RootUnwrapError)) throw err;
      const followed = await this.followRoot(record);
      if (!followed) {
        this.cannotOpen(bytes, record);
        return false;
      }
      keyring = followed.keyring;
      const old = this.root;
      this.root = followed.root;
      await old.close();
      this.deps.log.info(`kms: the keyring is now wrapped by ${describeRoot(followed.root.params)} (rotated by another replica); this replica follows it`);
    }
    const same = keyring.current === this.keyring.current && keyring.entries.length === this.keyring.entries.length && keyring.entries.every((e, i) => e.version === this.keyring.entries[i]?.version);
    this.keyring = keyring;
    if (!same) {
      this.rootKey.install(keyring);
      this.deps.log.info(`kms: keyring version ${keyring.current} installed from the store (versions ${keyring.entries.map((e) => e.version).join(", ")})`);
    }
    this.stored = bytes;
    this.unopenable = undefined;
    return true;
  }

  /**
   * Another replica rotated the root to one this replica can open too: the
   * HSM root's new key, by the id the record names, in the same token (a
   * development root does not rotate; a Shamir root's new key exists only as
   * its shares). Undefined when it cannot.
   */
  private async followRoot(record: KeyringRecord): Promise<{ root: RootOfTrust; keyring: StoredKeyring } | undefined> {
    const mine = this.root.params;
    const theirs = record.root;
    if (mine.mode !== "pkcs11" || theirs.mode !== "pkcs11" || theirs.keyLabel !== mine.keyLabel || theirs.keyId === mine.keyId) return undefined;
    let next: RootOfTrust;
    try {
      next = (this.root as Pkcs11Root).withKeyId(theirs.keyId);
    } catch (err) {
      this.deps.log.error(`kms: the keyring is now wrapped by ${describeRoot(theirs)}, which this replica's token does not offer`, err);
      return undefined;
    }
    try {
      return { root: next, keyring: await unwrapKeyring(next, record) };
    } catch (err) {
      await next.close();
      if (err instanceof RootUnwrapError) return undefined;
      throw err;
    }
  }

  /** Says (once per stored record) that this replica cannot open the keyring record, and what that means for it. */
  private cannotOpen(bytes: Uint8Array, record: KeyringRecord): void {
    if (this.unopenable !== undefined && bytesEqual(bytes, this.unopenable)) return;
    this.unopenable = bytes;
    const ring = record.ring;
    const unchanged = ring !== undefined && ring.current === this.keyring.current && ring.versions.length === this.keyring.entries.length && ring.versions.every((v, i) => v === this.keyring.entries[i]?.version);
    const where = `the keyring record is now wrapped by ${describeRoot(record.root)}, which this replica's root of trust (${describeRoot(this.root.params)}) cannot open`;
    if (unchanged)
      this.deps.log.warn(
        `kms: ${where}. The keyring itself is unchanged (versions ${ring.versions.join(", ")}): this replica keeps serving with the keyring it holds, but cannot follow a keyring rotation, nor rotate the keyring or the root, until it is restarted${record.root.mode === "shamir" ? " and unsealed with the new shares" : " with that root"}`,
      );
    else
      this.deps.log.error(
        `kms: ${where}, and the keyring changed${ring ? ` (current version ${ring.current}, this replica holds ${this.keyring.current})` : ""}: records sealed under versions this replica lacks do not open here. Restart this replica${record.root.mode === "shamir" ? " and unseal it with the current shares" : " with that root"}`,
      );
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
