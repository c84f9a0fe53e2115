/**
 * What a request is about, read from its message by field name so every
 * method of every service is covered without a per-action table: the keys it
 * names (KeyId, KeyIds, DestinationKeyId, and the key a CiphertextBlob names)
 * and, per key, the encryption context that goes with it.
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { parseBlob } from "../crypto/ciphertext.js";
import { parsePqBlob } from "../crypto/pq-ciphertext.js";

/** One key a request names, with the encryption context bound to it in this request. */
export interface KeyReference {
  keyId: string;
  /** The EncryptionContext JSON text given for this key ("" when none). */
  context: string;
}

/** The key a ciphertext names in its header, for either blob format; undefined for malformed input (the action will say so). */
export function keyIdOfCiphertext(blob: Uint8Array): string | undefined {
  for (const parse of [parseBlob, parsePqBlob]) {
    try {
      return parse(blob).keyId;
    } catch {
      // not this format
    }
  }
  return undefined;
}

const KEY_FIELDS = new Set(["keyId", "keyIds", "destinationKeyId", "ciphertextBlob"]);

/**
 * Whether a method acts on keys: decided once per method from its descriptor.
 * AdminService is account-level throughout (its KeyId is a query filter, not a
 * key being acted on).
 */
export function isKeyScoped(method: DescMethod): boolean {
  return method.parent.typeName !== "kms.v1.AdminService" && method.input.fields.some((f) => KEY_FIELDS.has(f.localName));
}

/** The keys a request of a key-scoped method names (see isKeyScoped). */
export function requestKeys(input: DescMessage, req: MessageShape<DescMessage>): KeyReference[] {
  const r = req as unknown as Record<string, unknown>;
  const text = (name: string): string => (typeof r[name] === "string" ? (r[name] as string) : "");
  const keys: KeyReference[] = [];
  const add = (keyId: string, context: string) => {
    if (keyId !== "" && !keys.some((k) => k.keyId === keyId && k.context === context)) keys.push({ keyId, context });
  };
  for (const f of input.fields) {
    switch (f.localName) {
      case "keyId":
        add(text("keyId"), text("encryptionContext"));
        break;
      case "keyIds":
        for (const id of (r.keyIds as string[] | undefined) ?? []) add(id, "");
        break;
      case "destinationKeyId":
        add(text("destinationKeyId"), text("destinationEncryptionContext"));
        break;
      case "ciphertextBlob": {
        const blob = r.ciphertextBlob;
        const id = blob instanceof Uint8Array ? keyIdOfCiphertext(blob) : undefined;
        if (id !== undefined) add(id, text("sourceEncryptionContext") || text("encryptionContext"));
        break;
      }
    }
  }
  return keys;
}

/** Encryption context members as policy condition values ("kms:encryption_context/<name>"); malformed text gives none. */
export function contextConditions(context: string): [string, string[]][] {
  if (context === "") return [];
  try {
    const parsed: unknown = JSON.parse(context);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return [];
    return Object.entries(parsed as Record<string, unknown>).flatMap(([k, v]) => (typeof v === "string" ? [[`kms:encryption_context/${k}`, [v]] as [string, string[]]] : []));
  } catch {
    return [];
  }
}
