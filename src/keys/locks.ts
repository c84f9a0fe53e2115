/**
 * In-process named mutexes. Every read-modify-write of a key or an alias runs
 * under the locks of the names it touches, so concurrent calls serialise per
 * key instead of globally, and alias uniqueness holds. Names are taken in
 * sorted order, so two callers never wait on each other in a cycle.
 * (A multi-node backend will need the store's compare-and-swap as well.)
 */
export class LockSet {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const name of [...new Set(names)].sort()) releases.push(await this.acquire(name));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(name: string): Promise<() => void> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => held);
    this.tails.set(name, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    };
  }
}

export const keyLock = (keyId: string) => `key:${keyId}`;
/** Aliases are unique per account and region: one lock per alias in a scope. */
export const aliasLock = (scope: { account: string; region: string }, alias: string) => `alias:${scope.account}/${scope.region}/${alias}`;
