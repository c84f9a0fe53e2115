/**
 * Unsealed key material, cached. A version's material never changes once
 * written, so an entry stays valid until its key is purged (evict). Bounded:
 * the least recently used entry goes first.
 */
import type { Aead } from "../crypto/primitives.js";

export class MaterialCache {
  private readonly entries = new Map<string, Aead>();

  constructor(private readonly capacity = 10_000) {}

  get(keyId: string, version: number): Aead | undefined {
    const id = `${keyId}/${version}`;
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id);
      this.entries.set(id, hit);
    }
    return hit;
  }

  set(keyId: string, version: number, aead: Aead): void {
    this.entries.set(`${keyId}/${version}`, aead);
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
