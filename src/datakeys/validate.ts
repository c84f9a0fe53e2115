/** Field rules of the hosted data keys (the SDK's kms_models.d.ts), each throwing its documented code; messages name the field and the limit. */
import { isUuid } from "../crypto/ciphertext.js";
import { KmsError } from "../errors.js";
import type { DataKeyTag } from "./data-key.js";
import type { DataKeysSettings } from "./deps.js";

/** Names as CMK aliases are written: letters, digits, "-" and "_", starting with a letter or digit. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,59}$/;
export const MAX_DESCRIPTION_BYTES = 100;
export const MAX_BATCH_IDS = 100;
export const MAX_TAGS = 50;
export const MAX_DATA_KEY_BYTES = 1024;
export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 10;

export function assertDataKeyId(id: string, field = "DataKeyId"): void {
  if (id === "") throw new KmsError("InvalidParameterValue.InvalidDataKeyId", `${field} is required`);
  if (!isUuid(id)) throw new KmsError("InvalidParameterValue.InvalidDataKeyId", `${field} "${id.slice(0, 64)}" is not a valid data key id`);
}

/** 1 to 100 distinct, well-formed data key ids. */
export function assertDataKeyIds(ids: readonly string[]): void {
  if (ids.length < 1 || ids.length > MAX_BATCH_IDS) throw new KmsError("InvalidParameter", `DataKeyIds must hold 1 to ${MAX_BATCH_IDS} data key ids`);
  const seen = new Set<string>();
  for (const id of ids) {
    assertDataKeyId(id, "DataKeyIds");
    if (seen.has(id)) throw new KmsError("InvalidParameterValue.DuplicatedDataKeyId", `DataKeyIds names ${id} twice`);
    seen.add(id);
  }
}

export function assertDataKeyName(name: string): void {
  if (!NAME_RE.test(name))
    throw new KmsError("InvalidParameterValue.InvalidDataKeyName", "DataKeyName must be 1 to 60 letters, digits, '-' or '_', starting with a letter or digit");
}

export function assertDescription(description: string): void {
  if (Buffer.byteLength(description, "utf8") > MAX_DESCRIPTION_BYTES) throw new KmsError("InvalidParameter", `Description exceeds ${MAX_DESCRIPTION_BYTES} bytes`);
}

/** The CMK's tag rules: at most 50, keys 1 to 127 characters and unique, values at most 255. */
export function assertTags(tags: readonly DataKeyTag[]): void {
  if (tags.length > MAX_TAGS) throw new KmsError("InvalidParameter", `Tags has more than ${MAX_TAGS} entries`);
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length < 1 || key.length > 127) throw new KmsError("InvalidParameterValue", "TagKey must be 1 to 127 characters");
    if (value.length > 255) throw new KmsError("InvalidParameterValue", "TagValue must be at most 255 characters");
    if (seen.has(key)) throw new KmsError("InvalidParameterValue.TagKeysDuplicated", `TagKey "${key}" appears twice`);
    seen.add(key);
  }
}

/** Name, description and tags of a new data key (ImportDataKey, GenerateDataKey with IsHostedByKms 1). */
export function assertNewDataKeyFields(name: string, description: string, tags: readonly DataKeyTag[]): void {
  assertDataKeyName(name);
  assertDescription(description);
  assertTags(tags);
}

export function assertPendingWindow(days: number): void {
  if (!Number.isInteger(days) || days < 7 || days > 30) throw new KmsError("InvalidParameter.InvalidPendingWindowInDays", "PendingWindowInDays must be 7 to 30");
}

/** Offset/Limit as the API reads them: Limit 0 means the default. */
export function pageOf(offset: number, limit: number): { offset: number; limit: number } {
  if (limit > MAX_PAGE) throw new KmsError("InvalidParameterValue", `Limit must be 1 to ${MAX_PAGE}`);
  return { offset, limit: limit === 0 ? DEFAULT_PAGE : limit };
}

export function assertRole(role: number): void {
  if (role !== 0 && role !== 1) throw new KmsError("InvalidParameterValue", "Role must be 0 or 1");
}

/**
 * HsmClusterId in a request: empty or this service's one cluster. Listings
 * may also name "default" (Tencent's shared public-cloud edition), where no
 * data key of this service lives: the answer says whether any data key can match.
 */
export function assertHsmClusterId(settings: DataKeysSettings, hsmClusterId: string, listing = false): "all" | "none" {
  if (hsmClusterId === "" || hsmClusterId === settings.hsmClusterId) return "all";
  if (listing && hsmClusterId === "default") return "none";
  throw new KmsError("InvalidParameterValue.InvalidHsmClusterId", `HsmClusterId "${hsmClusterId.slice(0, 64)}" is not this service's cluster`);
}

/** The plaintext of an imported data key: 1 to 1024 bytes, as GenerateDataKey makes them. */
export function assertImportedPlaintext(plaintext: Uint8Array): void {
  if (plaintext.length < 1 || plaintext.length > MAX_DATA_KEY_BYTES)
    throw new KmsError("InvalidParameterValue.InvalidImportKeyMaterial", `ImportKeyMaterial must be a data key of 1 to ${MAX_DATA_KEY_BYTES} bytes`);
}
