/** Symmetric algorithms by name and by blob id. Adding one is one line here and one file beside it. */
import { aes256Gcm } from "./aes-256-gcm.js";
import { sm4Gcm } from "./sm4-gcm.js";
import type { SymmetricAlgorithm, SymmetricAlgorithmName } from "./primitives.js";

function buildRegistry(algorithms: readonly SymmetricAlgorithm[]) {
  const byName = new Map<string, SymmetricAlgorithm>();
  const byBlobId = new Map<number, SymmetricAlgorithm>();
  for (const alg of algorithms) {
    if (byName.has(alg.name) || byBlobId.has(alg.blobId)) throw new Error(`crypto registry: ${alg.name} registered twice`);
    byName.set(alg.name, alg);
    byBlobId.set(alg.blobId, alg);
  }
  return { byName, byBlobId };
}

const registry = buildRegistry([aes256Gcm, sm4Gcm]);

export function symmetricAlgorithm(name: SymmetricAlgorithmName): SymmetricAlgorithm {
  const alg = registry.byName.get(name);
  if (!alg) throw new Error(`crypto registry: unknown algorithm ${name}`);
  return alg;
}

export function symmetricAlgorithmByBlobId(id: number): SymmetricAlgorithm | undefined {
  return registry.byBlobId.get(id);
}

/** The algorithm of new keys of a Tencent type family. */
export function symmetricAlgorithmForKeyType(keyType: "FIPS" | "GM"): SymmetricAlgorithm {
  return keyType === "GM" ? sm4Gcm : aes256Gcm;
}

/** Narrows a stored algorithm name to a symmetric one. */
export function isSymmetricAlgorithmName(name: string): name is SymmetricAlgorithmName {
  return registry.byName.has(name);
}
