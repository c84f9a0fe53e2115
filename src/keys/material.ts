/**
 * Unsealed key material, cached. A version's material never changes once
 * written, so an entry stays valid until its key is purged (evict). Bounded:
 * the least recently used entry goes first.
 */
export class MaterialCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity = 10_000) {}

  get(keyId: string, version: number): T | undefined {
    const id = `${keyId}/${version}`;
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id);
      this.entries.set(id, hit);
    }
    return hit;
  }

  set(keyId: string, version: number, value: T): void {
    this.entries.set(`${keyId}/${version}`, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Drops every version of a key. */
  evict(keyId: string): void {
    for (const id of this.entries.keys()) if (id.startsWith(`${keyId}/`)) this.entries.delete(id);
  }
}
