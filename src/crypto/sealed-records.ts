/**
 * The registry of sealed record kinds: every stored record that holds
 * something sealed under the keyring (or authenticated by it) is of a kind
 * registered here, so a keyring rotation can find it and rewrap it while the
 * service runs. A family that stores sealed material registers its kinds at
 * wiring time; a record of an unregistered kind would keep its old keyring
 * version forever and stop that version from being retired.
 *
 * Rules for a kind:
 * - `rewrap` is pure: given the stored bytes it returns the bytes with every
 *   sealed part under the current version (unseal with the label, seal again
 *   with the same label), or undefined when nothing is under an older one.
 * - Records that are changed or deleted after they are written must be
 *   rewrapped under the owning family's lock (`serialize`): the rotation
 *   re-reads every record inside it, so a concurrent delete is never undone
 *   and a concurrent change never lost.
 * - A family that keeps a sealed value in memory and writes it back later
 *   hears of the new bytes through `stored`.
 * - A family whose space holds nothing sealed declares it (`declarePlain`):
 *   old keyring versions are dropped only when every stored record is in a
 *   registered kind or a declared plain space.
 */
import { sealedVersion, type KeyringRootKey } from "./seal.js";

export interface SealedRecordKind {
  /** Unique; names the kind in rotation progress and logs. */
  name: string;
  /** Every record of the kind, and nothing else, has a store key starting with this. */
  prefix: string;
  /** The record with its sealed parts under rootKey's current version; undefined when already there. Throws when it cannot be read. */
  rewrap(storeKey: string, value: Uint8Array, rootKey: KeyringRootKey): Uint8Array | undefined;
  /** Runs `write` (which re-reads and writes these records) under the owning family's lock. Absent: write-once records never deleted. */
  serialize?(records: readonly { storeKey: string; value: Uint8Array }[], write: () => Promise<void>): Promise<void>;
  /** Told of each rewrapped record once it is stored. */
  stored?(storeKey: string, value: Uint8Array): void;
}

export class SealedRecordRegistry {
  private readonly list: SealedRecordKind[] = [];
  private readonly plain: string[] = [];

  /**
   * Declares a store space that holds nothing sealed (key records, aliases,
   * audit events...). Before old keyring versions are dropped, every stored
   * record must be in a registered kind or a declared plain space: a family
   * that forgot to register its sealed records keeps the old versions alive
   * instead of losing its data.
   */
  declarePlain(prefix: string): void {
    if (!this.plain.includes(prefix)) this.plain.push(prefix);
  }

  /** The first stored key that no kind and no plain space covers, if any. */
  async firstUncovered(keys: AsyncIterable<string>): Promise<string | undefined> {
    const covered = [...this.list.map((k) => k.prefix), ...this.plain];
    for await (const key of keys) if (!covered.some((p) => key.startsWith(p))) return key;
    return undefined;
  }

  /** Adds a kind; refuses a second kind with the same name or an overlapping prefix. */
  register(kind: SealedRecordKind): void {
    if (this.list.some((k) => k.name === kind.name)) throw new Error(`sealed record kind ${kind.name} is registered twice`);
    const clash = this.list.find((k) => k.prefix.startsWith(kind.prefix) || kind.prefix.startsWith(k.prefix));
    if (clash) throw new Error(`sealed record kinds ${clash.name} and ${kind.name} overlap (${clash.prefix}, ${kind.prefix})`);
    this.list.push(kind);
  }

  /** In registration order. */
  kinds(): readonly SealedRecordKind[] {
    return this.list;
  }
}

/** A kind whose whole value is one sealed blob under a fixed label (the audit key, a signing key). */
export function rawSealedKind(name: string, storeKey: string, label: string): SealedRecordKind {
  return {
    name,
    prefix: storeKey,
    rewrap(key, value, rootKey) {
      if (key !== storeKey) return undefined;
      if (isCurrent(value, rootKey)) return undefined;
      const plain = rootKey.unseal(value, label);
      try {
        return rootKey.seal(plain, label);
      } finally {
        plain.fill(0);
      }
    },
  };
}

/**
 * A kind of JSON record ({"f":1,...}) with base64 sealed fields, each under a
 * label computed from the record (key versions, import tokens).
 */
export function jsonSealedKind<R>(spec: {
  name: string;
  prefix: string;
  fields: readonly { name: keyof R & string; label: (record: R, storeKey: string) => string }[];
  serialize?: SealedRecordKind["serialize"];
}): SealedRecordKind {
  return {
    name: spec.name,
    prefix: spec.prefix,
    ...(spec.serialize ? { serialize: spec.serialize } : {}),
    rewrap(storeKey, value, rootKey) {
      const record = JSON.parse(Buffer.from(value).toString("utf8")) as Record<string, unknown>;
      let changed = false;
      for (const f of spec.fields) {
        const sealedText = record[f.name];
        if (typeof sealedText !== "string") continue;
        const sealed = Buffer.from(sealedText, "base64");
        if (isCurrent(sealed, rootKey)) continue;
        const label = f.label(record as R, storeKey);
        const plain = rootKey.unseal(sealed, label);
        try {
          record[f.name] = Buffer.from(rootKey.seal(plain, label)).toString("base64");
        } finally {
          plain.fill(0);
        }
        changed = true;
      }
      return changed ? Buffer.from(JSON.stringify(record), "utf8") : undefined;
    },
  };
}

/** True when a sealed blob is already under the current keyring version (v2 header naming it). */
export function isCurrent(sealed: Uint8Array, rootKey: KeyringRootKey): boolean {
  try {
    return sealedVersion(sealed) === rootKey.current;
  } catch {
    // Malformed: not current; rewrap's unseal reports it.
    return false;
  }
}
