/**
 * The stored keyring record (v1/trust/keyring):
 *
 *   {"f":1,"root":<RootParams>,"wrapped":"<base64 of what the root's wrap returned>","ring":{"current":n,"versions":[...]}}
 *
 * The root's parameters are in clear (the HSM key's label and id, the Shamir
 * set id, threshold and share commitments) and are the AAD of the wrap, so
 * they cannot be changed without the keyring failing to unwrap.
 *
 * "ring" repeats, in clear, which versions the wrapped keyring holds (the
 * numbers GetKeyringStatus shows; no key). It is a hint, not authenticated:
 * a replica that cannot unwrap a record another replica wrote (a Shamir rekey
 * elsewhere) reads it only to tell whether the keyring it holds is still the
 * stored one, and so what to say in its log. Records written before it have
 * none.
 */
import type { BatchOp, KvStore } from "../store/store.js";
import { decodeKeyring, encodeKeyring, type StoredKeyring } from "./keyring.js";
import { trustKeyspace } from "./keyspace.js";
import { TrustError, type RootOfTrust, type RootParams } from "./root.js";

export interface KeyringRecord {
  root: RootParams;
  wrapped: Buffer;
  /** The versions the wrapped keyring holds, as its writer said (unauthenticated; absent in older records). */
  ring?: { current: number; versions: number[] };
}

export function keyringAad(params: RootParams): Buffer {
  return Buffer.from(`kms/v1/keyring\n${JSON.stringify(params)}`, "utf8");
}

export async function readKeyringRecord(store: KvStore): Promise<KeyringRecord | undefined> {
  const bytes = await store.get(trustKeyspace.keyring);
  return bytes === undefined ? undefined : parseKeyringRecord(bytes);
}

/** The record from its stored bytes; TrustError when they are not a keyring record. */
export function parseKeyringRecord(bytes: Uint8Array): KeyringRecord {
  let parsed: { f?: unknown; root?: { mode?: unknown }; wrapped?: unknown; ring?: { current?: unknown; versions?: unknown } };
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as typeof parsed;
  } catch {
    throw new TrustError(`the keyring record ${trustKeyspace.keyring} is unreadable`);
  }
  const mode = parsed.root?.mode;
  if (parsed.f !== 1 || typeof parsed.wrapped !== "string" || (mode !== "dev" && mode !== "pkcs11" && mode !== "shamir"))
    throw new TrustError(`the keyring record ${trustKeyspace.keyring} has an unknown format`);
  const ring = parsed.ring;
  const hint =
    ring && Number.isInteger(ring.current) && Array.isArray(ring.versions) && ring.versions.every((v) => Number.isInteger(v))
      ? { ring: { current: ring.current as number, versions: ring.versions as number[] } }
      : {};
  return { root: parsed.root as RootParams, wrapped: Buffer.from(parsed.wrapped, "base64"), ...hint };
}

/** The op that stores `keyring` wrapped under `root`. */
export async function keyringOp(root: RootOfTrust, keyring: StoredKeyring): Promise<BatchOp> {
  const plain = encodeKeyring(keyring);
  try {
    const wrapped = await root.wrap(plain, keyringAad(root.params));
    const ring = { current: keyring.current, versions: keyring.entries.map((e) => e.version) };
    const value = Buffer.from(JSON.stringify({ f: 1, root: root.params, wrapped: Buffer.from(wrapped).toString("base64"), ring }), "utf8");
    return { type: "put", key: trustKeyspace.keyring, value };
  } finally {
    plain.fill(0);
  }
}

/** Unwraps the stored keyring; RootUnwrapError when `root` is not the one that wrapped it. */
export async function unwrapKeyring(root: RootOfTrust, record: KeyringRecord): Promise<StoredKeyring> {
  const plain = Buffer.from(await root.unwrap(record.wrapped, keyringAad(record.root)));
  try {
    return decodeKeyring(plain);
  } finally {
    plain.fill(0);
  }
}
