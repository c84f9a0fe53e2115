/** KeyId → KeyRecord, and key version → a ready Aead (the local-kms getUsableKey step). */
import { KmsError } from "../errors.js";
import { isSymmetricAlgorithmName, symmetricAlgorithm } from "../crypto/registry.js";
import { materialLabel, UnsealError } from "../crypto/seal.js";
import type { Aead, SymmetricAlgorithm } from "../crypto/primitives.js";
import type { KmsDeps } from "./deps.js";
import type { KeyRecord } from "./key.js";
import { assertKeyId } from "./validate.js";

export function keyNotFound(keyId: string): KmsError {
  return new KmsError("ResourceUnavailable.CmkNotFound", `key ${keyId} does not exist`);
}

/** Validates the id and loads the key, or throws CmkNotFound. */
export async function loadKey(deps: KmsDeps, keyId: string, field = "KeyId"): Promise<KeyRecord> {
  assertKeyId(keyId, field);
  const key = await deps.repo.getKey(keyId);
  if (!key) throw keyNotFound(keyId);
  return key;
}

/** Symmetric operations need an ENCRYPT_DECRYPT key. */
export function assertSymmetric(key: KeyRecord): void {
  symmetricAlgorithmOf(key);
}

/** The symmetric algorithm of an ENCRYPT_DECRYPT key; InvalidKeyUsage for any other key. */
export function symmetricAlgorithmOf(key: KeyRecord): SymmetricAlgorithm {
  if (key.keyUsage !== "ENCRYPT_DECRYPT" || !isSymmetricAlgorithmName(key.algorithm))
    throw new KmsError("InvalidParameterValue.InvalidKeyUsage", `key ${key.keyId} is not an ENCRYPT_DECRYPT key`);
  return symmetricAlgorithm(key.algorithm);
}

/**
 * The Aead of one version of a key, unsealed once and then cached.
 * A version that does not exist answers `missing`; stored material that fails
 * its integrity check answers InternalError with a clear message for that key
 * only (other keys keep working).
 */
export async function versionAead(deps: KmsDeps, key: KeyRecord, version: number, missing: () => KmsError): Promise<Aead> {
  const cached = deps.materials.get(key.keyId, version);
  if (cached) return cached;
  const record = await deps.repo.getVersion(key.keyId, version);
  if (!record) throw missing();
  let material: Uint8Array;
  try {
    material = deps.rootKey.unseal(Buffer.from(record.sealedMaterial, "base64"), materialLabel(key.keyId, version));
  } catch (err) {
    if (err instanceof UnsealError)
      throw new KmsError("InternalError", `stored material of key ${key.keyId} version ${version} failed its integrity check`, err);
    throw err;
  }
  const aead = symmetricAlgorithmOf(key).aead(material);
  material.fill(0);
  deps.materials.set(key.keyId, version, aead);
  return aead;
}

/** Drops every cached unsealed secret of a key (symmetric versions and asymmetric key pairs): its material changed or is gone. */
export function forgetMaterial(deps: KmsDeps, keyId: string): void {
  deps.materials.evict(keyId);
  deps.privateKeys.evict(keyId);
}
