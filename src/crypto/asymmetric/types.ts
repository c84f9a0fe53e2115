/**
 * Asymmetric primitives, as the domain and the engine see them. Each
 * algorithm module (rsa.ts, ecdsa.ts, sm2.ts, ml-kem.ts, ml-dsa.ts) implements
 * these small interfaces over its own private-key encoding and exports one
 * AsymmetricSpec per key spec; registry.ts lists them. The domain only stores
 * the private key sealed and the public key as DER SubjectPublicKeyInfo.
 */
import type { WhiteBoxAlgorithm } from "../whitebox/index.js";

/** RAW: the message itself (the algorithm hashes it). DIGEST: the caller's hash of it (exactly the hash length). */
export type MessageType = "RAW" | "DIGEST";

/** Asymmetric key specs, as stored in key records. Each has one entry in registry.ts. */
export type AsymmetricSpecName = "RSA_2048" | "EC_P256" | "EC_P384" | "SM2" | "ML_KEM_768" | "ML_DSA_65";

/** A freshly generated key pair. */
export interface GeneratedKeyPair {
  /** The algorithm's private-key encoding (PKCS#8 DER where a standard one exists); sealed at rest by the caller. */
  privateKey: Uint8Array;
  /** DER SubjectPublicKeyInfo (for ML-KEM/ML-DSA: the module documents its encoding). */
  publicKeySpki: Uint8Array;
}

/** One private key, prepared for signing (preparing costs more than a signature: the engine keeps them). */
export interface Signer {
  /** `algorithm` is one of the scheme's names; throws AsymmetricInputError for a DIGEST of the wrong length. */
  sign(data: Uint8Array, messageType: MessageType, algorithm: string): Uint8Array;
}

/** One public key, prepared for verification. */
export interface Verifier {
  /** False for any bad signature (never a throw for one); AsymmetricInputError for a DIGEST of the wrong length. */
  verify(data: Uint8Array, signature: Uint8Array, messageType: MessageType, algorithm: string): boolean;
}

/** One public key, prepared for encryption. `aad` binds context where the scheme has it (ML-KEM). */
export interface Encrypter {
  encrypt(plaintext: Uint8Array, algorithm: string, aad: Uint8Array): Uint8Array;
}

/** One private key, prepared for decryption. Every failure is one AsymmetricInputError. */
export interface Decrypter {
  decrypt(ciphertext: Uint8Array, algorithm: string, aad: Uint8Array): Uint8Array;
}

/** A signature algorithm as the API names it. */
export interface SignatureAlgorithm {
  readonly name: string;
  /** The exact length of a DIGEST message; absent: the algorithm signs RAW messages only. */
  readonly digestLength?: number;
}

/** An encryption algorithm as the API names it. */
export interface EncryptionAlgorithm {
  readonly name: string;
  /** Offered by the spec's decrypt key usage (ListAlgorithms, AsymmetricRsaDecrypt's Algorithm). */
  readonly listed: boolean;
  /** Accepted as EncryptionAlgorithm: a plaintext returned encrypted to a caller's public key of this spec. */
  readonly reply: boolean;
}

export interface SignatureScheme {
  /** In the order ListAlgorithms shows them. */
  readonly algorithms: readonly SignatureAlgorithm[];
  signer(privateKey: Uint8Array): Signer;
  verifier(publicKeySpki: Uint8Array): Verifier;
}

export interface EncryptionScheme {
  /** In the order ListAlgorithms shows them. */
  readonly algorithms: readonly EncryptionAlgorithm[];
  encrypter(publicKeySpki: Uint8Array): Encrypter;
  decrypter(privateKey: Uint8Array): Decrypter;
}

/**
 * One key spec: how its keys are made and what they do. Adding a spec is its
 * primitive file exporting one of these, and one line in registry.ts.
 */
export interface AsymmetricSpec {
  readonly name: AsymmetricSpecName;
  /** Tencent's KeyMetadata.Type: 2 = FIPS, 4 = Chinese national standards. */
  readonly keyType: 2 | 4;
  /** How messages name it ("RSA-2048"). */
  readonly label: string;
  generate(): GeneratedKeyPair | Promise<GeneratedKeyPair>;
  readonly signature?: SignatureScheme;
  readonly encryption?: EncryptionScheme;
  /** A caller's PEM public key of this spec as DER SPKI (EncryptionPublicKey); AsymmetricInputError for anything else. */
  publicKeyFromPem?(pem: string): Uint8Array;
}

/** One unit of asymmetric work, as plain data, so it can cross to a worker thread (pool.ts). */
export type AsymmetricOp =
  | { op: "generate"; spec: AsymmetricSpecName }
  | { op: "sign"; spec: AsymmetricSpecName; privateKey: Uint8Array; data: Uint8Array; messageType: MessageType; algorithm: string }
  | { op: "verify"; spec: AsymmetricSpecName; publicKey: Uint8Array; data: Uint8Array; signature: Uint8Array; messageType: MessageType; algorithm: string }
  | {
      op: "decrypt";
      spec: AsymmetricSpecName;
      privateKey: Uint8Array;
      ciphertext: Uint8Array;
      algorithm: string;
      aad?: Uint8Array;
      /** A key used once (an import's wrapping key): not kept prepared, and zeroed in the worker after use. */
      singleUse?: boolean;
    }
  | { op: "encrypt"; spec: AsymmetricSpecName; publicKey: Uint8Array; plaintext: Uint8Array; algorithm: string; aad?: Uint8Array }
  /** A white-box key's two table files (about 130 ms of CPU for AES-256): not asymmetric, but CPU-heavy key generation all the same. */
  | { op: "whitebox-tables"; algorithm: WhiteBoxAlgorithm; key: Uint8Array };

/** What "whitebox-tables" answers: the two files and the table id they share. */
export interface WhiteBoxTableFiles {
  tableId: Uint8Array;
  encryptTables: Uint8Array;
  decryptTables: Uint8Array;
}

/** What each kind of operation answers. */
export interface AsymmetricResults {
  generate: GeneratedKeyPair;
  sign: Uint8Array;
  verify: boolean;
  decrypt: Uint8Array;
  encrypt: Uint8Array;
  "whitebox-tables": WhiteBoxTableFiles;
}

export type AsymmetricResult = AsymmetricResults[keyof AsymmetricResults];

/** Thrown for input the caller controls (bad signature encoding, wrong digest length, undecryptable ciphertext). Carries no secret detail. */
export class AsymmetricInputError extends Error {
  override readonly name = "AsymmetricInputError";
}
