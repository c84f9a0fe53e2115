/**
 * RSA-2048 signing (RSA_PSS_SHA_256, RSA_PKCS1_SHA_256) and encryption
 * (RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSAES_PKCS1_V1_5), over node:crypto.
 *
 * Measured 2026-11-23 (bench/asym-rate.ts, one core, Node 20.20.2, OpenSSL 3.0.19), ops/s:
 *   sign      PSS 1429 (DIGEST 1361)      PKCS1 1451 (DIGEST 1397)
 *   verify    PSS 34310 (DIGEST 22448)    PKCS1 38184
 *   OAEP-SHA-256  encrypt 36185, decrypt 1459
 *   PKCS#1 v1.5 decrypt  1309 valid, 1321 implicit rejection (same work either way)
 *   for comparison, openssl speed -seconds 2 rsa2048: sign 1500, verify 53255
 *
 * Keys
 *   privateKey    PKCS#8 DER (rsaEncryption), 2048-bit modulus, e = 65537.
 *   publicKeySpki DER SubjectPublicKeyInfo (rsaEncryption).
 *
 * Signatures (always 256 bytes)
 *   RSA_PKCS1_SHA_256  RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
 *   RSA_PSS_SHA_256    RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 bytes
 *                      (= the digest length, RFC 8017 §9.1 / RFC 4055 §3.1 advice);
 *                      trailer 0xbc. Verification accepts any salt length
 *                      (recovered from the encoding, like OpenSSL's "auto"), so
 *                      signatures from tools defaulting to the maximum salt verify too.
 *   RAW hashes the message with SHA-256. DIGEST takes that 32-byte hash and
 *   produces the very signature RAW would for a message with that hash: node:crypto
 *   always hashes (sign(null, …) hashes with SHA-256 too), so DIGEST builds the
 *   encoded message itself and applies the raw private-key operation:
 *   PKCS#1 v1.5 as privateEncrypt(RSA_PKCS1_PADDING, DigestInfo || digest), PSS as
 *   EMSA-PSS-ENCODE (RFC 8017 §9.1.1) then privateEncrypt(RSA_NO_PADDING).
 *
 * Encryption (ciphertext always 256 bytes)
 *   OAEP label is empty and MGF1 uses the OAEP hash. Plaintext limits: OAEP-SHA-1
 *   214 bytes, OAEP-SHA-256 190, PKCS#1 v1.5 245.
 *   PKCS#1 v1.5 decryption uses implicit rejection (see decryptPkcs1Implicit): a
 *   ciphertext whose padding is wrong decrypts to a deterministic pseudo-random
 *   message instead of an error, so there is no padding oracle (Bleichenbacher,
 *   Marvin). Node 20 refuses RSA_PKCS1_PADDING decryption on OpenSSL 3.0
 *   (CVE-2023-46809) and we do not revert that; we do the raw RSA operation and
 *   unpad here.
 */
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import { AsymmetricInputError, type AsymmetricSpec, type GeneratedKeyPair, type MessageType } from "./types.js";

/** RSA signature algorithms, as Tencent names them. */
export type RsaSignAlgorithm = "RSA_PSS_SHA_256" | "RSA_PKCS1_SHA_256";
/** RSA encryption algorithms, as Tencent names them. */
export type RsaEncryptAlgorithm = "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256" | "RSAES_PKCS1_V1_5";

/** Modulus size in bits; the only size this module handles. */
export const RSA_MODULUS_BITS = 2048;
/** Modulus size in bytes = signature and ciphertext length. */
export const RSA_MODULUS_BYTES = RSA_MODULUS_BITS / 8;
/** PSS salt length used when signing (= SHA-256 output length). */
export const RSA_PSS_SALT_LENGTH = 32;
/** The DIGEST message type takes exactly this many bytes (SHA-256). */
export const RSA_DIGEST_LENGTH = 32;

const PUBLIC_EXPONENT = 0x10001;
const SHA256_LENGTH = 32;
// DER of DigestInfo { AlgorithmIdentifier { id-sha256, NULL }, OCTET STRING (32) }, RFC 8017 §9.2 note 1.
const SHA256_DIGEST_INFO_PREFIX = Buffer.from("3031300d060960864801650304020105000420", "hex");
// PSS works on emBits = modBits - 1, so emLen = 256 and the top bit of EM is cleared.
const PSS_DB_LENGTH = RSA_MODULUS_BYTES - SHA256_LENGTH - 1;

/** Signs with one RSA-2048 private key. */
export interface RsaSigner {
  /** Returns the 256-byte signature; throws AsymmetricInputError for a DIGEST that is not 32 bytes. */
  sign(data: Uint8Array, messageType: MessageType, alg: RsaSignAlgorithm): Uint8Array;
}

/** Verifies with one RSA-2048 public key. */
export interface RsaVerifier {
  /** False for any bad signature (never throws for one); throws AsymmetricInputError for a DIGEST that is not 32 bytes. */
  verify(data: Uint8Array, signature: Uint8Array, messageType: MessageType, alg: RsaSignAlgorithm): boolean;
}

/** Decrypts with one RSA-2048 private key. */
export interface RsaDecrypter {
  /**
   * Returns the plaintext. Throws AsymmetricInputError if the ciphertext is not
   * 256 bytes or not below the modulus, and ("decryption failed") for a bad OAEP
   * ciphertext. A bad PKCS#1 v1.5 ciphertext yields a synthetic message instead.
   */
  decrypt(ciphertext: Uint8Array, alg: RsaEncryptAlgorithm): Uint8Array;
}

/** Encrypts to one RSA-2048 public key. */
export interface RsaEncrypter {
  /** Returns the 256-byte ciphertext; throws AsymmetricInputError if the plaintext exceeds rsaMaxPlaintextLength(alg). */
  encrypt(plaintext: Uint8Array, alg: RsaEncryptAlgorithm): Uint8Array;
}

/** A fresh RSA-2048 key pair (e = 65537), generated off the event loop. */
export function generateRsa2048(): Promise<GeneratedKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      "rsa",
      {
        modulusLength: RSA_MODULUS_BITS,
        publicExponent: PUBLIC_EXPONENT,
        publicKeyEncoding: { type: "spki", format: "der" },
        privateKeyEncoding: { type: "pkcs8", format: "der" },
      },
      (err, publicKey, privateKey) => {
        if (err) reject(err);
        else resolve({ privateKey, publicKeySpki: publicKey });
      },
    );
  });
}

/** The longest plaintext `alg` can encrypt under a 2048-bit key (RFC 8017 §7.1.1, §7.2.1). */
export function rsaMaxPlaintextLength(alg: RsaEncryptAlgorithm): number {
  switch (alg) {
    case "RSAES_OAEP_SHA_1":
      return RSA_MODULUS_BYTES - 2 * 20 - 2;
    case "RSAES_OAEP_SHA_256":
      return RSA_MODULUS_BYTES - 2 * 32 - 2;
    case "RSAES_PKCS1_V1_5":
      return RSA_MODULUS_BYTES - 11;
  }
}

/** A signer over a PKCS#8 DER RSA-2048 private key. */
export function createRsaSigner(pkcs8: Uint8Array): RsaSigner {
  const key = loadPrivateKey(pkcs8);
  return {
    sign(data, messageType, alg) {
      if (messageType === "RAW") {
        return nodeSign("sha256", data, { key, ...signPadding(alg, RSA_PSS_SALT_LENGTH) });
      }
      requireDigest(data);
      if (alg === "RSA_PKCS1_SHA_256") {
        // privateEncrypt with PKCS#1 padding is the type-1 (signature) padding: 00 01 FF.. 00 T.
        return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO_PREFIX, data]));
      }
      return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, emsaPssEncode(data, randomBytes(RSA_PSS_SALT_LENGTH)));
    },
  };
}

/** A verifier over a DER SPKI RSA-2048 public key. */
export function createRsaVerifier(spki: Uint8Array): RsaVerifier {
  const key = loadPublicKey(spki);
  return {
    verify(data, signature, messageType, alg) {
      if (messageType === "DIGEST") requireDigest(data);
      if (signature.length !== RSA_MODULUS_BYTES) return false;
      try {
        if (messageType === "RAW") {
          return nodeVerify("sha256", data, { key, ...signPadding(alg, constants.RSA_PSS_SALTLEN_AUTO) }, signature);
        }
        // Raw public operation; it throws for a signature not below the modulus.
        const em = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
        return alg === "RSA_PKCS1_SHA_256" ? timingSafeEqual(em, emsaPkcs1Encode(data)) : emsaPssVerify(data, em);
      } catch {
        return false;
      }
    },
  };
}

/** An encrypter over a DER SPKI RSA-2048 public key. */
export function createRsaEncrypter(spki: Uint8Array): RsaEncrypter {
  const key = loadPublicKey(spki);
  return {
    encrypt(plaintext, alg) {
      if (plaintext.length > rsaMaxPlaintextLength(alg)) {
        throw new AsymmetricInputError(`plaintext longer than ${rsaMaxPlaintextLength(alg)} bytes for ${alg}`);
      }
      return publicEncrypt({ key, ...encryptPadding(alg) }, plaintext);
    },
  };
}

/** A decrypter over a PKCS#8 DER RSA-2048 private key. */
export function createRsaDecrypter(pkcs8: Uint8Array): RsaDecrypter {
  const key = loadPrivateKey(pkcs8);
  const jwk = key.export({ format: "jwk" });
  const modulus = leftPad(base64UrlBytes(jwk.n), RSA_MODULUS_BYTES);
  // Only the hash of d is kept: it is the HMAC key of the implicit-rejection KDK.
  const d = leftPad(base64UrlBytes(jwk.d), RSA_MODULUS_BYTES);
  const dHash = createHash("sha256").update(d).digest();
  d.fill(0);
  return {
    decrypt(ciphertext, alg) {
      if (ciphertext.length !== RSA_MODULUS_BYTES) throw new AsymmetricInputError(`ciphertext must be ${RSA_MODULUS_BYTES} bytes`);
      // Public comparison: both values are known to the caller.
      if (Buffer.compare(ciphertext, modulus) >= 0) throw new AsymmetricInputError("ciphertext is not below the modulus");
      if (alg === "RSAES_PKCS1_V1_5") return decryptPkcs1Implicit(key, dHash, ciphertext);
      try {
        return privateDecrypt({ key, ...encryptPadding(alg) }, ciphertext);
      } catch {
        // One message for every OAEP failure, so errors reveal nothing about the padding.
        throw new AsymmetricInputError("decryption failed");
      }
    },
  };
}

/**
 * Parses a caller's RSA-2048 public key: PEM "PUBLIC KEY" (SPKI), PEM
 * "RSA PUBLIC KEY" (PKCS#1), or DER SPKI (as bytes, or PEM text as bytes).
 * Returns canonical DER SPKI; throws AsymmetricInputError for anything else,
 * including private keys, certificates and moduli other than 2048 bits.
 */
export function parseRsaPublicKey(input: string | Uint8Array): Uint8Array {
  let der: Buffer;
  let type: "spki" | "pkcs1";
  if (typeof input === "string" || input[0] !== 0x30) {
    const text = typeof input === "string" ? input : Buffer.from(input).toString("latin1");
    ({ der, type } = decodePublicKeyPem(text));
  } else {
    der = Buffer.from(input);
    type = "spki";
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: "der", type });
  } catch {
    throw new AsymmetricInputError("invalid RSA public key");
  }
  requireRsa2048(key, (message) => new AsymmetricInputError(message));
  // Reject BER variants and trailing bytes: what we were given must be the canonical DER.
  if (!key.export({ type, format: "der" }).equals(der)) throw new AsymmetricInputError("RSA public key is not canonical DER");
  return key.export({ type: "spki", format: "der" });
}

// ---------------------------------------------------------------------------
// PKCS#1 v1.5 decryption with implicit rejection.

/**
 * RSAES-PKCS1-v1_5 decryption with implicit rejection, following
 * draft-irtf-cfrg-rsa-guidance ("Implicit rejection") as implemented by
 * OpenSSL 3.2 (crypto/rsa/rsa_ossl.c derive_kdk, crypto/rsa/rsa_pk1.c
 * ossl_rsa_padding_check_PKCS1_type_2 and ossl_rsa_prf), and checked against
 * OpenSSL's test vectors (test/recipes/30-test_evp_data/evppkey_rsa_common.txt).
 *
 *  1. EM = RSADP(d, C) as 256 bytes (raw RSA through OpenSSL, which blinds it).
 *  2. KDK = HMAC-SHA256(key = SHA256(I2OSP(d, 256)), C as 256 bytes).
 *  3. Synthetic message source AM = PRF(KDK, "message", 2048 bits) (256 bytes).
 *  4. 128 length candidates = PRF(KDK, "length", 2048 bits) read as big-endian
 *     uint16, each masked to 0xff (the bit mask covering max = 256 - 2 - 8 = 246);
 *     the last candidate below 246 is the synthetic length L (0 if none).
 *  5. Padding is good iff EM[0] = 0x00, EM[1] = 0x02 and the first zero byte
 *     after them is at index >= 10 (at least 8 bytes of padding string).
 *  6. Return EM after that zero byte if good, else the last L bytes of AM.
 * Steps 3-6 run in full for every ciphertext, with masks instead of branches
 * on secret data. JavaScript cannot promise constant time, but nothing here
 * branches on or indexes memory by the padding's validity.
 */
function decryptPkcs1Implicit(key: KeyObject, dHash: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  const kdk = createHmac("sha256", dHash).update(ciphertext).digest();
  const synthetic = rsaPrf(kdk, "message", RSA_MODULUS_BYTES);
  const syntheticLength = chooseSyntheticLength(rsaPrf(kdk, "length", 256), RSA_MODULUS_BYTES - 2 - 8);
  try {
    return selectPkcs1Message(em, synthetic, syntheticLength);
  } finally {
    em.fill(0);
    synthetic.fill(0);
    kdk.fill(0);
  }
}

/** The implicit-rejection PRF: HMAC-SHA256(kdk, I2OSP(i, 2) || label || I2OSP(bits, 2)) for i = 0, 1, …, truncated. */
export function rsaPrf(kdk: Uint8Array, label: string, lengthBytes: number): Buffer {
  const bits = Buffer.alloc(2);
  bits.writeUInt16BE(lengthBytes * 8);
  const blocks: Buffer[] = [];
  for (let i = 0; i * SHA256_LENGTH < lengthBytes; i++) {
    const counter = Buffer.alloc(2);
    counter.writeUInt16BE(i);
    blocks.push(createHmac("sha256", kdk).update(counter).update(label, "latin1").update(bits).digest());
  }
  return Buffer.concat(blocks).subarray(0, lengthBytes);
}

/** Step 4: the last masked big-endian uint16 candidate below `maxLength`, else 0, chosen without branches. */
export function chooseSyntheticLength(candidates: Uint8Array, maxLength: number): number {
  let mask = maxLength;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  let length = 0;
  for (let i = 0; i + 1 < candidates.length; i += 2) {
    const candidate = ((byteAt(candidates, i) << 8) | byteAt(candidates, i + 1)) & mask;
    length = ctSelect(ctLtMask(candidate, maxLength), candidate, length);
  }
  return length;
}

/**
 * Steps 5-6: the real message if EM's type-2 padding is good, else the last
 * `syntheticLength` bytes of `synthetic`. Every byte of EM is examined and both
 * buffers are read at every output position whichever is returned.
 */
export function selectPkcs1Message(em: Uint8Array, synthetic: Uint8Array, syntheticLength: number): Uint8Array {
  const k = em.length;
  let good = ctIsZeroMask(byteAt(em, 0)) & ctEqMask(byteAt(em, 1), 2);
  let found = 0;
  let zeroIndex = 0;
  for (let i = 2; i < k; i++) {
    const isZero = ctIsZeroMask(byteAt(em, i));
    zeroIndex = ctSelect(~found & isZero, i, zeroIndex);
    found |= isZero;
  }
  // At least 8 padding bytes; zeroIndex stays 0 (failing this) when no separator exists.
  good &= ~ctLtMask(zeroIndex, 2 + 8);
  // The returned length is public either way: real and synthetic lengths look alike.
  const start = ctSelect(good, zeroIndex + 1, k - syntheticLength);
  const out = new Uint8Array(k - start);
  for (let i = start; i < k; i++) out[i - start] = ctSelect(good, byteAt(em, i), byteAt(synthetic, i));
  return out;
}

// Masks are all-ones (-1) or zero, on 32-bit integers; inputs are small non-negative ints.
function ctIsZeroMask(x: number): number {
  return ~(x | -x) >> 31;
}
function ctEqMask(a: number, b: number): number {
  return ctIsZeroMask(a ^ b);
}
function ctLtMask(a: number, b: number): number {
  return (a - b) >> 31;
}
function ctSelect(mask: number, a: number, b: number): number {
  return (a & mask) | (b & ~mask);
}

// ---------------------------------------------------------------------------
// Signature encodings for DIGEST (RFC 8017 §9.1, §9.2), with emBits = 2047.

/** EMSA-PKCS1-v1_5 for SHA-256: 00 01 FF…FF 00 DigestInfo || digest, 256 bytes. */
function emsaPkcs1Encode(digest: Uint8Array): Buffer {
  const t = Buffer.concat([SHA256_DIGEST_INFO_PREFIX, digest]);
  const em = Buffer.alloc(RSA_MODULUS_BYTES, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[RSA_MODULUS_BYTES - t.length - 1] = 0x00;
  t.copy(em, RSA_MODULUS_BYTES - t.length);
  return em;
}

/** EMSA-PSS-ENCODE (SHA-256, MGF1-SHA-256) of a message hash with the given salt, 256 bytes. */
function emsaPssEncode(mHash: Uint8Array, salt: Uint8Array): Buffer {
  const h = pssHash(mHash, salt);
  const db = Buffer.alloc(PSS_DB_LENGTH);
  db[PSS_DB_LENGTH - salt.length - 1] = 0x01;
  db.set(salt, PSS_DB_LENGTH - salt.length);
  xorInPlace(db, mgf1Sha256(h, PSS_DB_LENGTH));
  db[0] = byteAt(db, 0) & 0x7f; // clear the 8·emLen − emBits = 1 leftmost bit
  return Buffer.concat([db, h, Buffer.of(0xbc)]);
}

/** EMSA-PSS-VERIFY (SHA-256, MGF1-SHA-256) with the salt length recovered from the encoding. */
function emsaPssVerify(mHash: Uint8Array, em: Uint8Array): boolean {
  if (em.length !== RSA_MODULUS_BYTES || em[RSA_MODULUS_BYTES - 1] !== 0xbc || (byteAt(em, 0) & 0x80) !== 0) return false;
  const h = em.subarray(PSS_DB_LENGTH, PSS_DB_LENGTH + SHA256_LENGTH);
  const db = Buffer.from(em.subarray(0, PSS_DB_LENGTH));
  xorInPlace(db, mgf1Sha256(h, PSS_DB_LENGTH));
  db[0] = byteAt(db, 0) & 0x7f;
  const separator = db.findIndex((b) => b !== 0);
  if (separator < 0 || db[separator] !== 0x01) return false;
  return timingSafeEqual(h, pssHash(mHash, db.subarray(separator + 1)));
}

/** H = SHA-256(0x00 × 8 || mHash || salt). */
function pssHash(mHash: Uint8Array, salt: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.alloc(8)).update(mHash).update(salt).digest();
}

/** MGF1 with SHA-256 (RFC 8017 §B.2.1). */
function mgf1Sha256(seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; counter * SHA256_LENGTH < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash("sha256").update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

// ---------------------------------------------------------------------------
// Helpers.

// node:crypto takes MGF1's hash from the signature hash (SHA-256) by default.
function signPadding(alg: RsaSignAlgorithm, pssSaltLength: number): { padding: number; saltLength?: number } {
  return alg === "RSA_PSS_SHA_256"
    ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pssSaltLength }
    : { padding: constants.RSA_PKCS1_PADDING };
}

function encryptPadding(alg: RsaEncryptAlgorithm): { padding: number; oaepHash?: string } {
  switch (alg) {
    case "RSAES_OAEP_SHA_1":
      return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" };
    case "RSAES_OAEP_SHA_256":
      return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
    case "RSAES_PKCS1_V1_5":
      return { padding: constants.RSA_PKCS1_PADDING };
  }
}

function requireDigest(digest: Uint8Array): void {
  if (digest.length !== RSA_DIGEST_LENGTH) throw new AsymmetricInputError(`DIGEST must be ${RSA_DIGEST_LENGTH} bytes (SHA-256)`);
}

// Our own stored keys: a bad one is a programming or storage fault, not caller input.
function loadPrivateKey(pkcs8: Uint8Array): KeyObject {
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
  requireRsa2048(key, (message) => new Error(message));
  return key;
}

function loadPublicKey(spki: Uint8Array): KeyObject {
  const key = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  requireRsa2048(key, (message) => new Error(message));
  return key;
}

function requireRsa2048(key: KeyObject, fail: (message: string) => Error): void {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== "rsa" || details?.modulusLength !== RSA_MODULUS_BITS) {
    throw fail(`not an RSA-${RSA_MODULUS_BITS} key`);
  }
  const e = details.publicExponent;
  if (e === undefined || e < 3n || e % 2n === 0n) throw fail("RSA public exponent must be odd and at least 3");
}

const PEM_PATTERN = /^-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----\s*$/;

function decodePublicKeyPem(text: string): { der: Buffer; type: "spki" | "pkcs1" } {
  const match = PEM_PATTERN.exec(text.trim());
  const body = match?.[2]?.replace(/[\r\n]/g, "");
  if (match === null || body === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw new AsymmetricInputError('expected a PEM "PUBLIC KEY" or "RSA PUBLIC KEY", or DER SubjectPublicKeyInfo');
  }
  return { der: Buffer.from(body, "base64"), type: match[1] === "PUBLIC KEY" ? "spki" : "pkcs1" };
}

function base64UrlBytes(value: string | undefined): Buffer {
  if (value === undefined) throw new Error("RSA private key lacks a JWK component");
  return Buffer.from(value, "base64url");
}

function leftPad(bytes: Buffer, length: number): Buffer {
  if (bytes.length >= length) return bytes;
  const out = Buffer.alloc(length);
  bytes.copy(out, length - bytes.length);
  bytes.fill(0);
  return out;
}

function xorInPlace(target: Uint8Array, mask: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = byteAt(target, i) ^ byteAt(mask, i);
}

// noUncheckedIndexedAccess: reads within bounds by construction.
function byteAt(bytes: Uint8Array, i: number): number {
  return bytes[i] ?? 0;
}

/**
 * The RSA_2048 key spec (registry.ts). The engine passes only the names listed
 * here, so the schemes' algorithm parameters are always Rsa*Algorithm values.
 */
export const rsa2048: AsymmetricSpec = {
  name: "RSA_2048",
  keyType: 2,
  label: "RSA-2048",
  generate: generateRsa2048,
  signature: {
    algorithms: [
      { name: "RSA_PSS_SHA_256", digestLength: RSA_DIGEST_LENGTH },
      { name: "RSA_PKCS1_SHA_256", digestLength: RSA_DIGEST_LENGTH },
    ],
    signer: createRsaSigner,
    verifier: createRsaVerifier,
  },
  encryption: {
    algorithms: [
      { name: "RSAES_OAEP_SHA_256", listed: true, reply: true },
      { name: "RSAES_OAEP_SHA_1", listed: true, reply: true },
      { name: "RSAES_PKCS1_V1_5", listed: true, reply: true },
    ],
    encrypter: createRsaEncrypter,
    decrypter: createRsaDecrypter,
  },
  publicKeyFromPem: parseRsaPublicKey,
};
