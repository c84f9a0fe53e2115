/**
 * Runs one asymmetric operation (in whichever thread calls it; pool.ts runs
 * it in a worker). Everything about a spec comes from its registry entry;
 * this module only checks the algorithm belongs to the spec and keeps the
 * prepared keys. Private keys travel unsealed only between this process's threads.
 */
import { createHash } from "node:crypto";
import { generateWhiteBoxTables } from "../whitebox/index.js";
import { asymmetricSpec } from "./registry.js";
import type { AsymmetricOp, AsymmetricResult, AsymmetricResults, AsymmetricSpec, EncryptionScheme, SignatureScheme } from "./types.js";

/**
 * Prepared key objects (parsed DER, expanded lattice keys, SM2 verification
 * tables), by role and key bytes: building them costs more than the operation
 * itself (ECDSA P-256 signing was 20 times slower rebuilt per call).
 * Bounded; each worker thread has its own.
 */
const PREPARED_MAX = 512;
const prepared = new Map<string, unknown>();

function prepare<T>(role: string, key: Uint8Array, make: () => T): T {
  const id = `${role}:${createHash("sha256").update(key).digest("base64")}`;
  const hit = prepared.get(id) as T | undefined;
  if (hit !== undefined) {
    prepared.delete(id);
    prepared.set(id, hit);
    return hit;
  }
  const made = make();
  prepared.set(id, made);
  if (prepared.size > PREPARED_MAX) prepared.delete(prepared.keys().next().value as string);
  return made;
}

const EMPTY = new Uint8Array(0);

type SpecOp = Exclude<AsymmetricOp, { op: "whitebox-tables" }>;

function unsupported(op: SpecOp): Error {
  return new Error(`asymmetric: ${op.op} ${"algorithm" in op ? op.algorithm : ""} is not defined for ${op.spec}`);
}

/** The spec's scheme for the op, if it names one of the scheme's algorithms. */
function schemeOf<S extends SignatureScheme | EncryptionScheme>(op: Exclude<SpecOp, { op: "generate" }>, pick: (spec: AsymmetricSpec) => S | undefined): S {
  const scheme = pick(asymmetricSpec(op.spec));
  if (!scheme?.algorithms.some((a) => a.name === op.algorithm)) throw unsupported(op);
  return scheme;
}

const signature = (spec: AsymmetricSpec) => spec.signature;
const encryption = (spec: AsymmetricSpec) => spec.encryption;

type Runners = { [K in keyof AsymmetricResults]: (op: Extract<AsymmetricOp, { op: K }>) => AsymmetricResults[K] | Promise<AsymmetricResults[K]> };

const RUN: Runners = {
  generate: (op) => asymmetricSpec(op.spec).generate(),
  sign(op) {
    const scheme = schemeOf(op, signature);
    return prepare(`${op.spec}/sign`, op.privateKey, () => scheme.signer(op.privateKey)).sign(op.data, op.messageType, op.algorithm);
  },
  verify(op) {
    const scheme = schemeOf(op, signature);
    return prepare(`${op.spec}/verify`, op.publicKey, () => scheme.verifier(op.publicKey)).verify(op.data, op.signature, op.messageType, op.algorithm);
  },
  decrypt(op) {
    const scheme = schemeOf(op, encryption);
    if (!op.singleUse) return prepare(`${op.spec}/decrypt`, op.privateKey, () => scheme.decrypter(op.privateKey)).decrypt(op.ciphertext, op.algorithm, op.aad ?? EMPTY);
    try {
      return scheme.decrypter(op.privateKey).decrypt(op.ciphertext, op.algorithm, op.aad ?? EMPTY);
    } finally {
      op.privateKey.fill(0);
    }
  },
  encrypt(op) {
    const scheme = schemeOf(op, encryption);
    return prepare(`${op.spec}/encrypt`, op.publicKey, () => scheme.encrypter(op.publicKey)).encrypt(op.plaintext, op.algorithm, op.aad ?? EMPTY);
  },
  "whitebox-tables"(op) {
    const set = generateWhiteBoxTables(op.algorithm, op.key);
    return { tableId: set.tableId, encryptTables: set.encryptTables, decryptTables: set.decryptTables };
  },
};

/** Runs one operation; its result is the one AsymmetricResults names for the op. */
export async function runAsymmetricOp(op: AsymmetricOp): Promise<AsymmetricResult> {
  return (RUN[op.op] as (op: AsymmetricOp) => AsymmetricResult | Promise<AsymmetricResult>)(op);
}
