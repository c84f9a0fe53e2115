/**
 * Field rules of the white-box actions, from the SDK's documentation, each
 * throwing a code the action documents. Messages name the field and the
 * limit, never a value that could be secret.
 */
import { isUuid } from "../crypto/ciphertext.js";
import { FINGERPRINT_PATTERN, WHITE_BOX_IV_LENGTH } from "../crypto/whitebox/index.js";
import { KmsError } from "../errors.js";
import type { DeviceFingerprintEntry, WhiteBoxTag } from "./key.js";

/** CreateKey's alias rule: 1 to 60 letters, digits, '-' and '_', starting with a letter or digit. */
const ALIAS_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,59}$/;
export const MAX_DESCRIPTION_BYTES = 1024;
export const MAX_TAGS = 50;
/** EnableWhiteBoxKeys/DisableWhiteBoxKeys: "no more than 50". */
export const MAX_BATCH_KEY_IDS = 50;
/** EncryptByWhiteBox: "at most 4 KB". */
export const MAX_PLAINTEXT_BYTES = 4096;
/** OverwriteWhiteBoxDeviceFingerprints: "at most 200". */
export const MAX_FINGERPRINTS = 200;
export const MAX_FINGERPRINT_DESCRIPTION_BYTES = 1024;
export const MAX_TAG_FILTERS = 50;

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

export function assertKeyId(keyId: string, field = "KeyId"): void {
  if (keyId === "") throw new KmsError("InvalidParameterValue.InvalidKeyId", `${field} is required`);
  if (!isUuid(keyId)) throw new KmsError("InvalidParameterValue.InvalidKeyId", `${field} "${keyId.slice(0, 64)}" is not a valid key id`);
}

/** 1 to 50 distinct, well-formed key ids. */
export function assertKeyIdList(keyIds: readonly string[]): void {
  if (keyIds.length < 1 || keyIds.length > MAX_BATCH_KEY_IDS) throw new KmsError("InvalidParameter", `KeyIds must hold 1 to ${MAX_BATCH_KEY_IDS} key ids`);
  const seen = new Set<string>();
  for (const id of keyIds) {
    assertKeyId(id, "KeyIds");
    if (seen.has(id)) throw new KmsError("InvalidParameterValue.DuplicatedKeyId", `KeyIds names ${id} twice`);
    seen.add(id);
  }
}

export function assertAlias(alias: string): void {
  if (!ALIAS_RE.test(alias))
    throw new KmsError("InvalidParameterValue.InvalidAlias", "Alias must be 1 to 60 letters, digits, '-' or '_', starting with a letter or digit");
  if (alias.toLowerCase().startsWith("kms-")) throw new KmsError("InvalidParameterValue.InvalidAlias", "Alias prefix 'kms-' is reserved for cloud products");
}

export function assertDescription(description: string): void {
  if (bytes(description) > MAX_DESCRIPTION_BYTES) throw new KmsError("InvalidParameterValue", `Description exceeds ${MAX_DESCRIPTION_BYTES} bytes`);
}

export function assertTags(tags: readonly WhiteBoxTag[]): void {
  if (tags.length > MAX_TAGS) throw new KmsError("InvalidParameterValue", `Tags has more than ${MAX_TAGS} entries`);
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length < 1 || key.length > 127) throw new KmsError("InvalidParameterValue", "TagKey must be 1 to 127 characters");
    if (value.length > 255) throw new KmsError("InvalidParameterValue", "TagValue must be at most 255 characters");
    if (seen.has(key)) throw new KmsError("InvalidParameterValue.TagKeysDuplicated", `TagKey "${key.slice(0, 127)}" appears twice`);
    seen.add(key);
  }
}

export function assertTagFilters(filters: readonly { tagKey: string; tagValue: readonly string[] }[]): void {
  if (filters.length > MAX_TAG_FILTERS) throw new KmsError("InvalidParameterValue", `TagFilters has more than ${MAX_TAG_FILTERS} entries`);
  for (const f of filters) if (f.tagKey === "") throw new KmsError("InvalidParameterValue", "TagFilters.TagKey is required");
}

export function assertPlaintext(plaintext: Uint8Array): void {
  if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT_BYTES)
    throw new KmsError("InvalidParameterValue", `PlainText must be 1 to ${MAX_PLAINTEXT_BYTES} bytes before base64`);
}

/** An IV given must be 16 bytes; none (empty) means "generate one". */
export function assertIv(iv: Uint8Array): void {
  if (iv.length !== 0 && iv.length !== WHITE_BOX_IV_LENGTH)
    throw new KmsError("InvalidParameterValue", `InitializationVector must be ${WHITE_BOX_IV_LENGTH} bytes before base64`);
}

/** At most 200 distinct identities of the documented pattern, descriptions up to 1024 bytes. */
export function assertFingerprints(list: readonly DeviceFingerprintEntry[]): void {
  if (list.length > MAX_FINGERPRINTS)
    throw new KmsError("LimitExceeded.FingerprintsLimitExceeded", `DeviceFingerprints holds ${list.length} entries; at most ${MAX_FINGERPRINTS}`);
  const seen = new Set<string>();
  list.forEach(({ identity, description }, i) => {
    if (!FINGERPRINT_PATTERN.test(identity))
      throw new KmsError("InvalidParameterValue", `DeviceFingerprints.${i}.Identity does not match ${FINGERPRINT_PATTERN.source}`);
    if (seen.has(identity)) throw new KmsError("InvalidParameterValue", `DeviceFingerprints.${i}.Identity appears twice`);
    seen.add(identity);
    if (bytes(description) > MAX_FINGERPRINT_DESCRIPTION_BYTES)
      throw new KmsError("InvalidParameterValue", `DeviceFingerprints.${i}.Description exceeds ${MAX_FINGERPRINT_DESCRIPTION_BYTES} bytes`);
  });
}

/** DescribeWhiteBoxKeyDetails: most keys per page (each carries up to 1.5 MB of tables), and the page size of Limit 0. */
export const MAX_DETAILS_PAGE = 2;

/** Limit as DescribeWhiteBoxKeyDetails reads it: 0 means the largest page. */
export function detailsPageLimit(limit: number): number {
  if (limit > MAX_DETAILS_PAGE)
    throw new KmsError("InvalidParameterValue", `Limit must be 0 to ${MAX_DETAILS_PAGE}: each key carries up to 1.5 MB of tables; page with Offset`);
  return limit === 0 ? MAX_DETAILS_PAGE : limit;
}
