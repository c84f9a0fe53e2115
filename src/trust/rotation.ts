/**
 * Keyring rotation in the background: every registered sealed record is
 * rewrapped under the target version, a page at a time, while the service
 * serves. Each page's rewrites and the progress checkpoint are one batch, so
 * after kill -9 the rotation resumes exactly where its last batch landed.
 *
 * The rotation is done when a whole pass, run start to end in one process
 * life, finds nothing left to rewrap and nothing unreadable: only then are
 * the versions below the target dropped from the keyring. (The first pass
 * rewraps; a record sealed under the old version by a call in flight when the
 * rotation began is caught by the next pass.)
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { KeyringRootKey } from "../crypto/seal.js";
import type { Logger } from "../log.js";
import { StoreConflictError, type BatchOp, type Guard, type KvStore } from "../store/store.js";
import { trustKeyspace } from "./keyspace.js";
import type { SealedRecordKind, SealedRecordRegistry } from "../crypto/sealed-records.js";

/** Records read per page (one batch of rewrites each). */
export const ROTATION_PAGE = 256;

export interface RotationProgress {
  /** The keyring version every record moves to. */
  target: number;
  /** Kind being worked on; undefined at the start of a pass. */
  kind: string | undefined;
  /** Last store key of that kind already handled. */
  after: string | undefined;
  pass: number;
  /** Records rewrapped since the rotation began. */
  rewrapped: number;
  /** Records rewrapped in this pass. */
  passRewrapped: number;
  /** Records of this pass that could not be read (corrupted): they keep the old versions from being dropped. */
  unreadable: number;
  startTime: number;
  /** This pass was resumed from a checkpoint (after a restart): it cannot prove the store clean. */
  resumed: boolean;
}

export function encodeProgress(p: RotationProgress): Uint8Array {
  return Buffer.from(JSON.stringify({ f: 1, ...p }), "utf8");
}

export function decodeProgress(bytes: Uint8Array): RotationProgress {
  const p = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<RotationProgress> & { f?: number };
  if (p.f !== 1 || !Number.isInteger(p.target) || !Number.isInteger(p.pass) || !Number.isInteger(p.rewrapped)) throw new Error("the keyring rotation progress record is malformed");
  return {
    target: p.target as number,
    kind: typeof p.kind === "string" ? p.kind : undefined,
    after: typeof p.after === "string" ? p.after : undefined,
    pass: p.pass as number,
    rewrapped: p.rewrapped as number,
    passRewrapped: Number(p.passRewrapped ?? 0),
    unreadable: Number(p.unreadable ?? 0),
    startTime: Number(p.startTime ?? 0),
    resumed: p.resumed === true,
  };
}

export function newProgress(target: number, nowMs: number): RotationProgress {
  return { target, kind: undefined, after: undefined, pass: 1, rewrapped: 0, passRewrapped: 0, unreadable: 0, startTime: nowMs, resumed: false };
}

export interface RotationHooks {
  /** Drops the versions below `target` from the keyring and deletes the progress record (one batch). */
  complete(target: number): Promise<void>;
  /** Ends a rotation that cannot finish cleanly (unreadable records): keeps every version, deletes the progress record. */
  abandon(progress: RotationProgress): Promise<void>;
}

export class KeyringRotation {
  private stopping = false;
  private readonly warned = new Set<string>();
  readonly done: Promise<void>;

  constructor(
    private readonly store: KvStore,
    private readonly rootKey: KeyringRootKey,
    private readonly registry: SealedRecordRegistry,
    private progress: RotationProgress,
    private readonly hooks: RotationHooks,
    private readonly log: Logger,
    private readonly pageSize = ROTATION_PAGE,
  ) {
    this.done = this.run().catch((err: unknown) => this.log.error("kms: keyring rotation stopped (it resumes at the next start)", err));
  }

  /** A copy of where the rotation stands. */
  status(): RotationProgress {
    return { ...this.progress };
  }

  /** Finishes the page in hand and stops; the checkpoint lets the next start resume. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async run(): Promise<void> {
    await yieldToLoop();
    for (;;) {
      const kinds = this.registry.kinds();
      let index = this.progress.kind === undefined ? 0 : kinds.findIndex((k) => k.name === this.progress.kind);
      if (index < 0) {
        // A kind of the checkpoint is no longer registered: start the pass over.
        index = 0;
        this.progress = { ...this.progress, kind: undefined, after: undefined, resumed: true };
      }
      for (; index < kinds.length; index++) {
        const kind = kinds[index] as SealedRecordKind;
        if (this.progress.kind !== kind.name) this.progress = { ...this.progress, kind: kind.name, after: undefined };
        while (await this.page(kind)) if (this.stopping) return;
        if (this.stopping) return;
      }
      const p = this.progress;
      if (!p.resumed && p.passRewrapped === 0 && p.unreadable === 0) {
        const stray = await this.registry.firstUncovered(this.store.scanKeys({ prefix: "" }));
        if (stray !== undefined) {
          this.log.error(`kms: keyring rotation to version ${p.target}: every registered record is rewrapped, but ${stray} belongs to no registered sealed record kind; older keyring versions are kept`);
          await this.hooks.abandon(p);
          return;
        }
        this.log.info(`kms: keyring rotation to version ${p.target} done: ${p.rewrapped} record(s) rewrapped in ${p.pass} pass(es); older versions dropped`);
        await this.hooks.complete(p.target);
        return;
      }
      if (p.unreadable > 0 && p.passRewrapped === 0 && !p.resumed) {
        this.log.error(`kms: keyring rotation to version ${p.target} ends with ${p.unreadable} unreadable record(s) (named above); older keyring versions are kept`);
        await this.hooks.abandon(p);
        return;
      }
      this.progress = { ...p, kind: undefined, after: undefined, pass: p.pass + 1, passRewrapped: 0, unreadable: 0, resumed: false };
      await this.store.batch([{ type: "put", key: trustKeyspace.rotation, value: encodeProgress(this.progress) }], { durable: false });
    }
  }

  /** Handles one page of a kind; false when the kind has no records left. */
  private async page(kind: SealedRecordKind): Promise<boolean> {
    const entries: { storeKey: string; value: Uint8Array }[] = [];
    const scan = { prefix: kind.prefix, limit: this.pageSize, ...(this.progress.after !== undefined ? { after: this.progress.after } : {}) };
    for await (const [storeKey, value] of this.store.scan(scan)) entries.push({ storeKey, value });
    if (entries.length === 0) return false;
    const stale = entries.filter((e) => this.needsRewrap(kind, e.storeKey, e.value));
    const last = (entries[entries.length - 1] as { storeKey: string }).storeKey;
    if (stale.length === 0) {
      this.progress = { ...this.progress, after: last };
      await this.store.batch([{ type: "put", key: trustKeyspace.rotation, value: encodeProgress(this.progress) }], { durable: false });
    } else {
      const write = async (): Promise<void> => {
        const fresh = await this.store.getMany(stale.map((e) => e.storeKey));
        const ops: BatchOp[] = [];
        const guards: Guard[] = [];
        const written: [string, Uint8Array][] = [];
        stale.forEach((e, i) => {
          const now = fresh[i];
          // Deleted meanwhile: nothing to rewrap, and writing would bring it back.
          if (now === undefined) return;
          const next = this.rewrapOrReport(kind, e.storeKey, now);
          if (next === undefined) return;
          ops.push({ type: "put", key: e.storeKey, value: next });
          // Another replica may change the record between the read and the write: its change must not be undone.
          guards.push({ key: e.storeKey, value: now });
          written.push([e.storeKey, next]);
        });
        const progress: RotationProgress = { ...this.progress, after: last, rewrapped: this.progress.rewrapped + ops.length, passRewrapped: this.progress.passRewrapped + ops.length };
        ops.push({ type: "put", key: trustKeyspace.rotation, value: encodeProgress(progress) });
        try {
          await this.store.batch(ops, { guards });
        } catch (err) {
          // Read the page again and rewrap what it now holds.
          if (err instanceof StoreConflictError) return write();
          throw err;
        }
        this.progress = progress;
        for (const [k, v] of written) kind.stored?.(k, v);
      };
      await (kind.serialize ? kind.serialize(stale, write) : write());
    }
    // Serve calls between pages.
    await yieldToLoop();
    return entries.length === this.pageSize;
  }

  private needsRewrap(kind: SealedRecordKind, storeKey: string, value: Uint8Array): boolean {
    // A dry run: rewrap is pure, and the result is computed again under the lock from a fresh read.
    return this.rewrapOrReport(kind, storeKey, value) !== undefined;
  }

  private rewrapOrReport(kind: SealedRecordKind, storeKey: string, value: Uint8Array): Uint8Array | undefined {
    try {
      return kind.rewrap(storeKey, value, this.rootKey);
    } catch (err) {
      // Counted in every pass (it keeps the old versions); logged once.
      this.progress = { ...this.progress, unreadable: this.progress.unreadable + 1 };
      if (!this.warned.has(storeKey)) {
        this.warned.add(storeKey);
        this.log.error(`kms: keyring rotation cannot read ${storeKey} (${kind.name}): ${(err as Error).message}; it keeps its keyring version`);
      }
      return undefined;
    }
  }
}
