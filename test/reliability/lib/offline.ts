/**
 * The LevelDB store read (and, for the corruption scenario, edited) directly,
 * with the server stopped. Layout from src/store/keyspace.ts; records are JSON
 * `{"f":1,...}`.
 */
import { Level } from "level";

export interface StoredKey {
  keyId: string;
  alias: string;
  keyState: string;
  /** Absent on records made before accounts: the store's pinned legacy scope applies. */
  account?: string;
  region?: string;
  versions: { version: number; state: string }[];
  rotation?: { enabled: boolean };
}

export interface OfflineView {
  keys: Map<string, StoredKey>;
  /** "<account>/<region>/<alias>" → key id */
  aliases: Map<string, string>;
  /** The scope of key records that name none ("<account>/<region>"). */
  legacyScope: string;
  /** "<keyId>/<version>" */
  versions: Set<string>;
  /** Store keys whose value did not parse. */
  unreadable: string[];
}

function openDb(dir: string): Level<string, Uint8Array> {
  return new Level<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
}

export async function readStore(dbDir: string): Promise<OfflineView> {
  const db = openDb(dbDir);
  await db.open();
  const view: OfflineView = { keys: new Map(), aliases: new Map(), versions: new Set(), unreadable: [], legacyScope: "" };
  try {
    const legacy = await db.get("v1/meta/legacy-key-scope").catch(() => undefined);
    if (legacy) {
      const s = JSON.parse(Buffer.from(legacy).toString("utf8")) as { account: string; region: string };
      view.legacyScope = `${s.account}/${s.region}`;
    }
    for await (const [k, v] of db.iterator({ gte: "v1/keys/", lt: "v1/keys/\xff" })) {
      try {
        const rec = JSON.parse(Buffer.from(v).toString("utf8")) as StoredKey;
        view.keys.set(rec.keyId, rec);
      } catch {
        view.unreadable.push(k);
      }
    }
    for await (const [k, v] of db.iterator({ gte: "v1/aliases/", lt: "v1/aliases/\xff" })) view.aliases.set(k.slice("v1/aliases/".length), Buffer.from(v).toString("utf8"));
    for await (const k of db.keys({ gte: "v1/versions/", lt: "v1/versions/\xff" })) {
      const [, , keyId, version] = k.split("/");
      view.versions.add(`${keyId}/${Number(version)}`);
    }
  } finally {
    await db.close();
  }
  return view;
}

/** The alias index's key for a key record: aliases are unique per account and region. */
function scopedAlias(view: OfflineView, key: StoredKey): string {
  const scope = key.account !== undefined && key.region !== undefined ? `${key.account}/${key.region}` : view.legacyScope;
  return `${scope}/${key.alias}`;
}

/** Every way the alias index and the key records can disagree, or a key's versions lack their material record. */
export function inconsistencies(view: OfflineView): string[] {
  const out: string[] = [];
  for (const k of view.unreadable) out.push(`record ${k} does not parse`);
  for (const [alias, keyId] of view.aliases) {
    const key = view.keys.get(keyId);
    if (!key) out.push(`alias ${alias} points to missing key ${keyId}`);
    else if (scopedAlias(view, key) !== alias) out.push(`alias ${alias} points to key ${keyId} whose alias is ${key.alias}`);
  }
  const seen = new Map<string, string>();
  for (const key of view.keys.values()) {
    const alias = scopedAlias(view, key);
    if (view.aliases.get(alias) !== key.keyId) out.push(`key ${key.keyId} has alias ${alias} but the index says ${String(view.aliases.get(alias))}`);
    const dup = seen.get(alias);
    if (dup) out.push(`alias ${alias} held by both ${dup} and ${key.keyId}`);
    seen.set(alias, key.keyId);
    for (const v of key.versions) if (!view.versions.has(`${key.keyId}/${v.version}`)) out.push(`key ${key.keyId} version ${v.version} has no material record`);
  }
  return out;
}

export interface Corruption {
  storeKey: string;
  /** Byte offset inside the decoded sealedMaterial that was flipped. */
  offset: number;
  sealedLength: number;
}

/** Flips one byte (XOR mask) inside the decoded sealedMaterial of a version record and writes it back. */
export async function flipSealedByte(dbDir: string, keyId: string, version: number, where: (len: number) => number, mask = 0x01): Promise<Corruption> {
  const db = openDb(dbDir);
  await db.open();
  try {
    const storeKey = `v1/versions/${keyId}/${String(version).padStart(10, "0")}`;
    const bytes = await db.get(storeKey);
    if (!bytes) throw new Error(`no record ${storeKey}`);
    const rec = JSON.parse(Buffer.from(bytes).toString("utf8")) as { sealedMaterial: string } & Record<string, unknown>;
    const sealed = Buffer.from(rec.sealedMaterial, "base64");
    const offset = where(sealed.length);
    sealed[offset] = (sealed[offset] as number) ^ mask;
    rec.sealedMaterial = sealed.toString("base64");
    await db.put(storeKey, Buffer.from(JSON.stringify(rec), "utf8"));
    return { storeKey, offset, sealedLength: sealed.length };
  } finally {
    await db.close();
  }
}

/** Replaces a raw record (for probes beyond sealed material). */
export async function editRecord(dbDir: string, storeKey: string, edit: (raw: Buffer) => Buffer): Promise<void> {
  const db = openDb(dbDir);
  await db.open();
  try {
    const bytes = await db.get(storeKey);
    if (!bytes) throw new Error(`no record ${storeKey}`);
    await db.put(storeKey, edit(Buffer.from(bytes)));
  } finally {
    await db.close();
  }
}
