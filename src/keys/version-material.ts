/**
 * A version's material: sealed under the root key when a version is made,
 * unsealed once when it is first used, then cached (deps.materials for
 * symmetric Aeads, deps.privateKeys for key pairs) until its key's material
 * changes or goes.
 */
import { KmsError } from "../errors.js";
import { isSymmetricAlgorithmName, symmetricAlgorithm } from "../crypto/registry.js";
import { materialLabel, UnsealError } from "../crypto/seal.js";
import type { Aead, SymmetricAlgorithm } from "../crypto/primitives.js";
import type { BatchOp } from "../store/store.js";
import type { AsymmetricMaterial, KmsDeps } from "./deps.js";
import type { KeyRecord, KeyVersion, KeyVersionInfo } from "./key.js";
import { NEW_VERSION_STATE } from "./version-state.js";
import { nextVersionNumber } from "./versions.js";

/** The symmetric algorithm of an ENCRYPT_DECRYPT key; InvalidKeyUsage for any other key. */
export function symmetricAlgorithmOf(key: KeyRecord): SymmetricAlgorithm {
  if (key.keyUsage !== "ENCRYPT_DECRYPT" || !isSymmetricAlgorithmName(key.algorithm))
    throw new KmsError("InvalidParameterValue.InvalidKeyUsage", `key ${key.keyId} is not an ENCRYPT_DECRYPT key`);
  return symmetricAlgorithm(key.algorithm);
}

/**
 * Stored material that fails its integrity check fails this key only, with a clear message (other keys keep
 * working). Material sealed with a scope is opened under the scope the key record says now: a record moved to
 * another account or region does not open.
 */
function unsealVersion(deps: KmsDeps, key: KeyRecord, record: KeyVersion): Uint8Array {
  const label = materialLabel(record.keyId, record.version, record.account === undefined ? undefined : key);
  try {
    return deps.rootKey.unseal(Buffer.from(record.sealedMaterial, "base64"), label);
  } catch (err) {
    if (err instanceof UnsealError) throw new KmsError("InternalError", `stored material of key ${record.keyId} version ${record.version} failed its integrity check`, err);
    throw err;
  }
}

/** The Aead of one version, unsealed on first use; a version without a record answers `missing()`. */
export async function loadAead(deps: KmsDeps, key: KeyRecord, version: number, algorithm: SymmetricAlgorithm, missing: () => KmsError): Promise<Aead> {
  const record = await deps.repo.getVersion(key.keyId, version);
  if (!record) throw missing();
  const material = unsealVersion(deps, key, record);
  const aead = algorithm.aead(material);
  material.fill(0);
  deps.materials.set(key.keyId, version, aead);
  return aead;
}

/** The private and public key of one version, unsealed on first use. */
export async function loadKeyPair(deps: KmsDeps, key: KeyRecord, version: number): Promise<AsymmetricMaterial> {
  const record = await deps.repo.getVersion(key.keyId, version);
  if (!record?.publicKey) throw new KmsError("InternalError", `key ${key.keyId} version ${version} has no stored key pair`);
  const material = { privateKey: unsealVersion(deps, key, record), publicKey: Buffer.from(record.publicKey, "base64") };
  deps.privateKeys.set(key.keyId, version, material);
  return material;
}

/** Drops every cached unsealed secret of a key (symmetric versions and asymmetric key pairs): its material changed or is gone. */
export function forgetMaterial(deps: KmsDeps, keyId: string): void {
  deps.materials.evict(keyId);
  deps.privateKeys.evict(keyId);
}

/**
 * Seals `material` as version `version` of `key` and returns the op that
 * stores it with the info to append. The caller zeroes the material.
 */
export function sealVersion(
  deps: KmsDeps,
  key: KeyRecord,
  version: number,
  material: Uint8Array,
  nowMs: number,
  publicKey?: Uint8Array,
): { op: BatchOp; info: KeyVersionInfo } {
  const record: KeyVersion = {
    keyId: key.keyId,
    version,
    account: key.account,
    region: key.region,
    algorithm: key.algorithm,
    createTime: nowMs,
    sealedMaterial: Buffer.from(deps.rootKey.seal(material, materialLabel(key.keyId, version, key))).toString("base64"),
    ...(publicKey ? { publicKey: Buffer.from(publicKey).toString("base64") } : {}),
  };
  return { op: deps.repo.putVersion(record), info: { version, state: NEW_VERSION_STATE, createTime: nowMs } };
}

/** Fresh random material of the key's algorithm, sealed as the next version. */
export function newRandomVersion(deps: KmsDeps, key: KeyRecord, nowMs: number): { op: BatchOp; info: KeyVersionInfo } {
  const material = deps.random(symmetricAlgorithmOf(key).keyLength);
  try {
    return sealVersion(deps, key, nextVersionNumber(key), material, nowMs);
  } finally {
    material.fill(0);
  }
}
