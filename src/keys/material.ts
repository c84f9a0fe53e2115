/**
 * Unsealed key material, cached. A version's material never changes once
 * written, so an entry stays valid until its key is purged (evict). Bounded
 * by versions held: when full, a key not used since the last sweep goes
 * first (second chance, an approximation of least recently used in which a
 * hit writes one flag and moves nothing).
 */
interface CachedKey<T> {
  versions: Map<number, T>;
  used: boolean;
}

export class MaterialCache<T> {
  private readonly keys = new Map<string, CachedKey<T>>();
  private held = 0;

  constructor(private readonly capacity = 10_000) {}

  get(keyId: string, version: number): T | undefined {
    const key = this.keys.get(keyId);
    if (!key) return undefined;
    const hit = key.versions.get(version);
    if (hit !== undefined) key.used = true;
    return hit;
  }

  set(keyId: string, version: number, value: T): void {
    let key = this.keys.get(keyId);
    if (!key) {
      key = { versions: new Map(), used: false };
      this.keys.set(keyId, key);
    }
    if (!key.versions.has(version)) this.held++;
    key.versions.set(version, value);
    while (this.held > this.capacity && this.evictOne(keyId)) {
      // until within capacity, or only the key just written is left
    }
  }

  /** Drops every version of a key. */
  evict(keyId: string): void {
    const key = this.keys.get(keyId);
    if (!key) return;
    this.held -= key.versions.size;
    this.keys.delete(keyId);
  }

  /** Drops the oldest key not used since it was last passed over (never `keep`); false when none is left to drop. */
  private evictOne(keep: string): boolean {
    for (const [id, key] of this.keys) {
      if (id === keep) continue;
      if (key.used) {
        // Second chance: to the back of the queue, its flag cleared.
        key.used = false;
        this.keys.delete(id);
        this.keys.set(id, key);
        continue;
      }
      this.evict(id);
      return true;
    }
    return false;
  }
}
