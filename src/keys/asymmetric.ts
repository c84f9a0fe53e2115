/**
 * Asymmetric work in the domain: engine calls (worker threads) with their
 * input errors mapped to API codes, and plaintext returned under a caller's
 * public key (EncryptionPublicKey). Keys and their material come from the
 * resolver (resolver.ts).
 */
import { KmsError, type ErrorCode } from "../errors.js";
import { replyAlgorithm, REPLY_ALGORITHM_NAMES } from "../crypto/asymmetric/registry.js";
import { AsymmetricInputError, type AsymmetricOp, type AsymmetricResults } from "../crypto/asymmetric/types.js";
import type { KmsDeps } from "./deps.js";

/** Runs an engine operation; input errors get `code` (the API's error for that call), never detail from inside. */
export async function runEngine<O extends AsymmetricOp>(deps: KmsDeps, op: O, code: ErrorCode, message: string): Promise<AsymmetricResults[O["op"]]> {
  try {
    return await deps.asymmetric.run(op);
  } catch (err) {
    if (err instanceof AsymmetricInputError) throw new KmsError(code, message);
    throw err;
  }
}

/** The EncryptionAlgorithm when a request names none (Tencent's default). */
const DEFAULT_REPLY_ALGORITHM = "SM2";

/**
 * Decrypt, GenerateDataKey and PostQuantumCryptoDecrypt may return their
 * plaintext encrypted to the caller's PEM public key instead of in clear; the
 * algorithms and the key formats come from the spec registry. Without a key,
 * the plaintext is returned as is.
 */
export async function replyPlaintext(deps: KmsDeps, plaintext: Uint8Array, publicKeyPem: string, algorithmName: string): Promise<Uint8Array> {
  if (publicKeyPem === "") return plaintext;
  const reply = replyAlgorithm(algorithmName === "" ? DEFAULT_REPLY_ALGORITHM : algorithmName);
  if (!reply) throw new KmsError("InvalidParameterValue", `EncryptionAlgorithm must be one of ${REPLY_ALGORITHM_NAMES.join(", ")}`);
  let publicKey: Uint8Array;
  try {
    publicKey = reply.publicKeyFromPem(publicKeyPem);
  } catch (err) {
    if (err instanceof AsymmetricInputError) throw new KmsError("InvalidParameterValue", `EncryptionPublicKey is not a PEM ${reply.spec.label} public key`);
    throw err;
  }
  return runEngine(deps, { op: "encrypt", spec: reply.spec.name, publicKey, plaintext, algorithm: reply.algorithm }, "InvalidParameterValue", `the plaintext is too long for ${reply.algorithm}`);
}
