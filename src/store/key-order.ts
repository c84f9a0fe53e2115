/**
 * Orders async work by key: a run waits for every earlier run that shares one
 * of its keys, and runs on disjoint keys go together. Every run registers all
 * of its keys before it waits, so the waits form a graph in call order and
 * cannot deadlock.
 */
export class KeyOrder {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const unique = new Set(keys);
    const before: Promise<void>[] = [];
    for (const key of unique) {
      const tail = this.tails.get(key);
      if (tail) before.push(tail);
    }
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const key of unique) this.tails.set(key, done);
    // No earlier run on these keys: start now, without a turn of the event loop.
    const result = before.length === 0 ? invoke(fn) : Promise.all(before).then(fn);
    const finish = () => {
      release();
      for (const key of unique) if (this.tails.get(key) === done) this.tails.delete(key);
    };
    result.then(finish, finish);
    return result;
  }

  /** Keys with a run pending or in progress (for tests: the map must drain). */
  get size(): number {
    return this.tails.size;
  }
}

function invoke<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}
