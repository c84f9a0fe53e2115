/**
 * Commit numbering and watch delivery for a store that sees all of its own
 * writes (the LevelDB adapter: one process). Keeps a bounded history of recent
 * commits so a watch can start after a revision taken before a scan; a watch
 * that asks for history already dropped gets a gap first.
 */
import type { BatchOp, Revision, Unwatch, WatchEvent, WatchListener } from "./store.js";

/** Recent commits kept for watches that start in the past: at most this many... */
const HISTORY_MAX_COMMITS = 1024;
/** ...and at most this many bytes of keys and values. */
const HISTORY_MAX_BYTES = 4 * 1024 * 1024;

interface Commit {
  revision: Revision;
  changes: readonly BatchOp[];
  bytes: number;
}

interface Watcher {
  prefix: string;
  listener: WatchListener;
}

function sizeOf(changes: readonly BatchOp[]): number {
  let n = 0;
  for (const op of changes) n += op.key.length + (op.type === "put" ? op.value.byteLength : 0);
  return n;
}

function under(prefix: string, changes: readonly BatchOp[]): readonly BatchOp[] {
  return prefix === "" ? changes : changes.filter((op) => op.key.startsWith(prefix));
}

function deliver(listener: WatchListener, event: WatchEvent): void {
  try {
    listener(event);
  } catch (err) {
    // A listener that throws has lost track of the store; say so loudly rather than carry on silently.
    queueMicrotask(() => {
      throw err;
    });
  }
}

export class CommitLog {
  private current: Revision = 0n;
  private readonly history: Commit[] = [];
  private historyBytes = 0;
  private readonly watchers = new Set<Watcher>();

  get revision(): Revision {
    return this.current;
  }

  /** Numbers a commit (changes at most one op per key) and hands it to every watcher whose prefix it touches. */
  append(changes: readonly BatchOp[]): Revision {
    const commit: Commit = { revision: ++this.current, changes, bytes: sizeOf(changes) };
    this.history.push(commit);
    this.historyBytes += commit.bytes;
    while (this.history.length > HISTORY_MAX_COMMITS || (this.historyBytes > HISTORY_MAX_BYTES && this.history.length > 1)) {
      this.historyBytes -= (this.history.shift() as Commit).bytes;
    }
    for (const w of this.watchers) this.send(w, commit);
    return commit.revision;
  }

  watch(prefix: string, listener: WatchListener, afterRevision?: Revision): Unwatch {
    const watcher: Watcher = { prefix, listener };
    if (afterRevision !== undefined && afterRevision < this.current) {
      const oldest = this.history[0]?.revision ?? this.current + 1n;
      if (afterRevision + 1n < oldest) {
        deliver(listener, { type: "gap", revision: this.current, reason: `commits after revision ${afterRevision} are no longer kept (oldest kept: ${oldest})` });
      } else {
        for (const commit of this.history) if (commit.revision > afterRevision) this.send(watcher, commit);
      }
    }
    // Synchronous from the replay to here: no commit can fall between the two.
    this.watchers.add(watcher);
    return async () => {
      this.watchers.delete(watcher);
    };
  }

  close(): void {
    this.watchers.clear();
  }

  private send(w: Watcher, commit: Commit): void {
    const changes = under(w.prefix, commit.changes);
    if (changes.length > 0) deliver(w.listener, { type: "commit", revision: commit.revision, changes });
  }
}
