/**
 * Asymmetric key specs by name, as crypto/registry.ts is for symmetric
 * algorithms. Adding a spec is its name in types.ts, its primitive file
 * exporting an AsymmetricSpec, and one line here; the domain (key usages,
 * ListAlgorithms, EncryptionPublicKey replies) and the engine (ops.ts) read
 * everything else from the entry.
 */
import { ecP256, ecP384 } from "./ecdsa.js";
import { mlDsa65 } from "./ml-dsa.js";
import { mlKem768 } from "./ml-kem.js";
import { rsa2048 } from "./rsa.js";
import { sm2 } from "./sm2.js";
import type { AsymmetricSpec, AsymmetricSpecName } from "./types.js";

const SPECS: Readonly<Record<AsymmetricSpecName, AsymmetricSpec>> = {
  RSA_2048: rsa2048,
  EC_P256: ecP256,
  EC_P384: ecP384,
  SM2: sm2,
  ML_KEM_768: mlKem768,
  ML_DSA_65: mlDsa65,
};

for (const [name, spec] of Object.entries(SPECS)) if (spec.name !== name) throw new Error(`asymmetric registry: ${spec.name} registered as ${name}`);

export function asymmetricSpec(name: AsymmetricSpecName): AsymmetricSpec {
  return SPECS[name];
}

/** A reply encoding: the spec of the caller's public key, how to read it, and the algorithm to encrypt with. */
export interface ReplyAlgorithm {
  spec: AsymmetricSpec;
  algorithm: string;
  publicKeyFromPem(pem: string): Uint8Array;
}

/** Every algorithm a plaintext may be returned under (EncryptionAlgorithm), by name. */
const REPLIES: ReadonlyMap<string, ReplyAlgorithm> = new Map(
  Object.values(SPECS).flatMap((spec) =>
    (spec.encryption?.algorithms ?? [])
      .filter((a) => a.reply)
      .map((a) => {
        const read = spec.publicKeyFromPem;
        if (!read) throw new Error(`asymmetric registry: ${spec.name} offers ${a.name} replies but reads no PEM public key`);
        return [a.name, { spec, algorithm: a.name, publicKeyFromPem: read }] as const;
      }),
  ),
);

export function replyAlgorithm(name: string): ReplyAlgorithm | undefined {
  return REPLIES.get(name);
}

export const REPLY_ALGORITHM_NAMES: readonly string[] = [...REPLIES.keys()];
