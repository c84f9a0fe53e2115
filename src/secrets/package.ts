/**
 * Secret export package, format version 1 (ExportSecret writes it,
 * ImportSecret reads it):
 *
 *   offset   size  field
 *   0        8     magic "TCSSMPKG"
 *   8        1     format version = 0x01
 *   9        4     header length h (uint32, big-endian, 2 .. 16384)
 *   13       h     header: UTF-8 JSON, see PackageHeader
 *   13+h     12    IV (random)
 *   25+h     n     body, AES-256-GCM under the package's data key (n >= 2)
 *   25+h+n   16    GCM tag
 *
 * AAD = bytes 0 .. 13+h (magic, version, length and header), so no header
 * field can change without failing the tag. The data key is 32 random bytes
 * from the key domain (GenerateDataKey under the CMK the exporter named);
 * the header carries it wrapped (the key domain's ciphertext blob), bound to
 * the encryption context {"ssm:package": "1", "ssm:secret": <header's name>}.
 * The body is UTF-8 JSON, see PackageBody: the secret's metadata and every
 * version with its state, window and value (base64). Values exist in clear
 * only inside the body, which exists in clear only in memory.
 *
 * Every parse or integrity failure answers one fixed error
 * (InvalidParameterValue, "Package is not a valid secret package"), so the
 * answers are no oracle.
 */
import { aes256Gcm } from "../crypto/aes-256-gcm.js";
import { AeadOpenError } from "../crypto/primitives.js";
import { KmsError } from "../errors.js";
import type { CipherContext } from "./deps.js";
import type { SecretStatus, SecretTag, SecretType, SshAlgorithm, ValueKind, VersionState } from "./secret.js";

const MAGIC = Buffer.from("TCSSMPKG", "ascii");
export const PACKAGE_FORMAT_V1 = 0x01;
const PREFIX_LENGTH = 13;
const MAX_HEADER_LENGTH = 16 * 1024;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/** What the package says about itself, in clear (authenticated as AAD). */
export interface PackageHeader {
  format: 1;
  /** The exported secret's name. */
  secretName: string;
  /** The CMK (on the exporting instance) whose material wraps the data key. */
  kmsKeyId: string;
  /** The data key, wrapped: the key domain's ciphertext blob, base64. */
  wrappedKey: string;
  /** Unix seconds. */
  exportedAt: number;
}

export interface PackageVersion {
  versionId: string;
  state: VersionState;
  createTime: number;
  updateTime?: number;
  validFrom?: number;
  validTo?: number;
  kind: ValueKind;
  /** The value, base64. */
  value: string;
}

/** The encrypted part: the secret whole. Times are milliseconds. */
export interface PackageBody {
  secret: {
    name: string;
    description: string;
    status: SecretStatus;
    secretType: SecretType;
    createTime: number;
    creatorUin: string;
    additionalConfig: string;
    tags: SecretTag[];
    ssh?: { keyId: string; keyName: string; projectId: number; algorithm: SshAlgorithm; publicKey: string };
  };
  versions: PackageVersion[];
}

export function invalidPackage(): KmsError {
  return new KmsError("InvalidParameterValue", "Package is not a valid secret package, or it failed its integrity check");
}

/** The encryption context of a package's data key. */
export function packageKeyContext(secretName: string): CipherContext {
  return { "ssm:package": String(PACKAGE_FORMAT_V1), "ssm:secret": secretName };
}

function prefixOf(header: Uint8Array): Buffer {
  const prefix = Buffer.alloc(PREFIX_LENGTH);
  MAGIC.copy(prefix, 0);
  prefix[8] = PACKAGE_FORMAT_V1;
  prefix.writeUInt32BE(header.length, 9);
  return prefix;
}

/** Seals `body` under `dataKey` (32 bytes) behind `header`; `random` gives the IV. */
export function encodePackage(header: PackageHeader, body: PackageBody, dataKey: Uint8Array, random: (n: number) => Uint8Array): Uint8Array {
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  if (headerBytes.length > MAX_HEADER_LENGTH) throw new RangeError("package: header too long");
  const aad = Buffer.concat([prefixOf(headerBytes), headerBytes]);
  const iv = random(IV_LENGTH);
  const plaintext = Buffer.from(JSON.stringify(body), "utf8");
  try {
    return Buffer.concat([aad, iv, aes256Gcm.aead(dataKey).seal(iv, plaintext, aad)]);
  } finally {
    plaintext.fill(0);
  }
}

/** A package split at its parts, the header parsed and checked; nothing decrypted yet. */
export interface ParsedPackage {
  header: PackageHeader;
  aad: Uint8Array;
  iv: Uint8Array;
  sealed: Uint8Array;
}

const isString = (v: unknown): v is string => typeof v === "string";

function headerOf(bytes: Uint8Array): PackageHeader {
  let h: unknown;
  try {
    h = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw invalidPackage();
  }
  if (h === null || typeof h !== "object") throw invalidPackage();
  const r = h as Record<string, unknown>;
  if (r.format !== 1 || !isString(r.secretName) || !isString(r.kmsKeyId) || !isString(r.wrappedKey) || typeof r.exportedAt !== "number") throw invalidPackage();
  return { format: 1, secretName: r.secretName, kmsKeyId: r.kmsKeyId, wrappedKey: r.wrappedKey, exportedAt: r.exportedAt };
}

/** Checks lengths, magic and version, and parses the header: before any crypto. */
export function parsePackage(pkg: Uint8Array): ParsedPackage {
  const buf = Buffer.from(pkg.buffer, pkg.byteOffset, pkg.length);
  if (buf.length < PREFIX_LENGTH || !buf.subarray(0, 8).equals(MAGIC) || buf[8] !== PACKAGE_FORMAT_V1) throw invalidPackage();
  const h = buf.readUInt32BE(9);
  if (h < 2 || h > MAX_HEADER_LENGTH || buf.length < PREFIX_LENGTH + h + IV_LENGTH + 2 + TAG_LENGTH) throw invalidPackage();
  return {
    header: headerOf(buf.subarray(PREFIX_LENGTH, PREFIX_LENGTH + h)),
    aad: buf.subarray(0, PREFIX_LENGTH + h),
    iv: buf.subarray(PREFIX_LENGTH + h, PREFIX_LENGTH + h + IV_LENGTH),
    sealed: buf.subarray(PREFIX_LENGTH + h + IV_LENGTH),
  };
}

function bodyOf(text: string): PackageBody {
  let b: unknown;
  try {
    b = JSON.parse(text);
  } catch {
    throw invalidPackage();
  }
  const r = b as { secret?: Record<string, unknown>; versions?: unknown };
  if (r === null || typeof r !== "object" || !r.secret || typeof r.secret !== "object" || !Array.isArray(r.versions)) throw invalidPackage();
  const s = r.secret;
  if (!isString(s.name) || !isString(s.description) || !isString(s.status) || typeof s.secretType !== "number" || typeof s.createTime !== "number")
    throw invalidPackage();
  if (!isString(s.creatorUin) || !isString(s.additionalConfig) || !Array.isArray(s.tags)) throw invalidPackage();
  for (const v of r.versions as Record<string, unknown>[])
    if (v === null || typeof v !== "object" || !isString(v.versionId) || !isString(v.state) || !isString(v.kind) || !isString(v.value) || typeof v.createTime !== "number")
      throw invalidPackage();
  return b as PackageBody;
}

/** Opens a parsed package with its data key; any tampering answers invalidPackage(). */
export function openPackage(parsed: ParsedPackage, dataKey: Uint8Array): PackageBody {
  let plaintext: Uint8Array;
  try {
    plaintext = aes256Gcm.aead(dataKey).open(parsed.iv, parsed.sealed, parsed.aad);
  } catch (err) {
    if (err instanceof AeadOpenError || err instanceof RangeError) throw invalidPackage();
    throw err;
  }
  try {
    return bodyOf(Buffer.from(plaintext).toString("utf8"));
  } finally {
    plaintext.fill(0);
  }
}
