/** Field rules from the SDK's documentation, each throwing its documented code. Messages name the field and the limit. */
import { KmsError } from "../errors.js";
import { isUuid } from "../crypto/ciphertext.js";
import { DEFAULT_HSM_CLUSTER_ID } from "../config.js";
import type { KmsSettings } from "./deps.js";
import type { KeyTag } from "./key.js";

const ALIAS_RE = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,59}$/;
export const MAX_DESCRIPTION_BYTES = 1024;
export const MAX_PLAINTEXT_BYTES = 4096;
export const MAX_CONTEXT_CHARS = 1024;
export const MAX_BATCH_KEY_IDS = 100;
export const MAX_TAGS = 50;
export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 10;

export function assertKeyId(keyId: string, field = "KeyId"): void {
  if (keyId === "") throw new KmsError("InvalidParameterValue.InvalidKeyId", `${field} is required`);
  if (!isUuid(keyId)) throw new KmsError("InvalidParameterValue.InvalidKeyId", `${field} "${keyId.slice(0, 64)}" is not a valid key id`);
}

export function assertAlias(alias: string): void {
  if (!ALIAS_RE.test(alias))
    throw new KmsError(
      "InvalidParameterValue.InvalidAlias",
      "Alias must be 1 to 60 letters, digits, '-' or '_', starting with a letter or digit",
    );
  if (alias.toLowerCase().startsWith("kms-"))
    throw new KmsError("InvalidParameterValue.InvalidAlias", "Alias prefix 'kms-' is reserved for cloud products");
}

export function assertDescription(description: string): void {
  if (Buffer.byteLength(description, "utf8") > MAX_DESCRIPTION_BYTES)
    throw new KmsError("InvalidParameter", `Description exceeds ${MAX_DESCRIPTION_BYTES} bytes`);
}

export function assertTags(tags: readonly KeyTag[]): void {
  if (tags.length > MAX_TAGS) throw new KmsError("InvalidParameter", `Tags has more than ${MAX_TAGS} entries`);
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (key.length < 1 || key.length > 127) throw new KmsError("InvalidParameterValue", "TagKey must be 1 to 127 characters");
    if (value.length > 255) throw new KmsError("InvalidParameterValue", "TagValue must be at most 255 characters");
    if (seen.has(key)) throw new KmsError("InvalidParameterValue.TagKeysDuplicated", `TagKey "${key}" appears twice`);
    seen.add(key);
  }
}

/** 1 to 100 distinct, well-formed key ids. */
export function assertKeyIdList(keyIds: readonly string[]): void {
  if (keyIds.length < 1 || keyIds.length > MAX_BATCH_KEY_IDS)
    throw new KmsError("InvalidParameter", `KeyIds must hold 1 to ${MAX_BATCH_KEY_IDS} key ids`);
  const seen = new Set<string>();
  for (const id of keyIds) {
    assertKeyId(id, "KeyIds");
    if (seen.has(id)) throw new KmsError("InvalidParameterValue.DuplicatedKeyId", `KeyIds names ${id} twice`);
    seen.add(id);
  }
}

export function assertPendingWindow(days: number): void {
  if (!Number.isInteger(days) || days < 7 || days > 30)
    throw new KmsError("InvalidParameter.InvalidPendingWindowInDays", "PendingWindowInDays must be 7 to 30");
}

/** Offset/Limit as the API reads them: Limit 0 means the default. */
export function pageOf(offset: number, limit: number): { offset: number; limit: number } {
  if (limit > MAX_PAGE) throw new KmsError("InvalidParameterValue", `Limit must be 1 to ${MAX_PAGE}`);
  return { offset, limit: limit === 0 ? DEFAULT_PAGE : limit };
}

export function assertRole(role: number): void {
  if (role !== 0 && role !== 1) throw new KmsError("InvalidParameterValue", "Role must be 0 or 1");
}

export function assertPlaintext(plaintext: Uint8Array): void {
  if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT_BYTES)
    throw new KmsError("InvalidParameterValue.InvalidPlaintext", `Plaintext must be 1 to ${MAX_PLAINTEXT_BYTES} bytes`);
}

export function assertContextLength(context: string, field = "EncryptionContext"): void {
  if (context.length > MAX_CONTEXT_CHARS) throw new KmsError("InvalidParameterValue", `${field} exceeds ${MAX_CONTEXT_CHARS} characters`);
}

export function assertNumberOfBytes(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new KmsError("InvalidParameterValue", "NumberOfBytes must be 1 to 1024");
}

/** The one HSM cluster this service is. */
export function hsmClusterOf(settings: KmsSettings): string {
  return settings.hsmClusterId ?? DEFAULT_HSM_CLUSTER_ID;
}

/**
 * HsmClusterId in a request: empty or this service's cluster. Listings may
 * also name "default" (Tencent's shared public-cloud edition), where no key of
 * this service lives: the answer says whether the request names keys at all.
 */
export function assertHsmClusterId(settings: KmsSettings, hsmClusterId: string, listing = false): "all" | "none" {
  if (hsmClusterId === "" || hsmClusterId === hsmClusterOf(settings)) return "all";
  if (listing && hsmClusterId === "default") return "none";
  throw new KmsError("InvalidParameterValue.InvalidHsmClusterId", `HsmClusterId "${hsmClusterId.slice(0, 64)}" is not this service's cluster`);
}
