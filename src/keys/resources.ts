/**
 * What a key request is about, for the pipeline's authorisation and audit:
 * the keys it names (KeyId, KeyIds, DestinationKeyId, and the key a
 * CiphertextBlob names), read from the message by field name so every method
 * of the key services is covered without a per-action table; and, per key,
 * its resource name (with its creator), its tags and the encryption context
 * that goes with it, as policy condition values.
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { CONDITION_KEYS, RESOURCE_NAMES, type CallScope, type RequestResources, type ResourceRef } from "../call.js";
import { blobKeyId, isUuid } from "../crypto/ciphertext.js";
import { parsePqBlob } from "../crypto/pq-ciphertext.js";
import type { KeyRecord } from "./key.js";
import { assertContextLength } from "./validate.js";

/** One key a request names, with the encryption context bound to it in this request. */
export interface KeyReference {
  keyId: string;
  /** The EncryptionContext JSON text given for this key ("" when none). */
  context: string;
}

/** The key a ciphertext names in its header, for either blob format; undefined for malformed input (the action will say so). */
export function keyIdOfCiphertext(blob: Uint8Array): string | undefined {
  for (const keyIdOf of KEY_ID_READERS) {
    try {
      return keyIdOf(blob);
    } catch {
      // not this format
    }
  }
  return undefined;
}

/** The blob formats whose key id a request may carry, most common first. */
const KEY_ID_READERS: readonly ((blob: Uint8Array) => string)[] = [blobKeyId, (blob) => parsePqBlob(blob).keyId];

const KEY_FIELDS = new Set(["keyId", "keyIds", "destinationKeyId", "ciphertextBlob"]);

/** Whether a method acts on keys: decided from its descriptor, once per method. */
const scoped = new WeakMap<DescMethod, boolean>();
export function isKeyScoped(method: DescMethod): boolean {
  let s = scoped.get(method);
  if (s === undefined) scoped.set(method, (s = method.input.fields.some((f) => KEY_FIELDS.has(f.localName))));
  return s;
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
    return Object.entries(parsed as Record<string, unknown>).flatMap(([k, v]) => (typeof v === "string" ? [[CONDITION_KEYS.encryptionContext(k), [v]] as [string, string[]]] : []));
  } catch {
    return [];
  }
}

/**
 * The key services' RequestResources over a key lookup. A key that does not
 * exist, or exists in another account or region, is named with the calling
 * account as its creator and brings no tags, so a caller cannot tell missing
 * keys from keys outside its grant or its scope; a request whose key cannot be read
 * (no id, a malformed blob) is checked against a key with an empty id: callers
 * allowed on every key go on to the action's own validation error, narrower
 * grants are denied.
 */
export function keyResources(getKey: (keyId: string) => Promise<KeyRecord | undefined>): RequestResources {
  return {
    subjects: (method, req) => (isKeyScoped(method) ? requestKeys(method.input, req).map((k) => k.keyId) : []),
    async resources(method, req, scope: CallScope): Promise<ResourceRef[]> {
      if (!isKeyScoped(method)) return [];
      const keys = requestKeys(method.input, req);
      // The cheap size check before any condition is matched: a 100 KB context must not reach the pattern matcher.
      for (const k of keys) assertContextLength(k.context);
      const refs: ResourceRef[] = [];
      for (const ref of keys.length > 0 ? keys : [{ keyId: "", context: "" }]) {
        const found = isUuid(ref.keyId) ? await getKey(ref.keyId).catch(() => undefined) : undefined;
        const key = found && found.account === scope.account && found.region === scope.region ? found : undefined;
        const conditions: [string, string[]][] = contextConditions(ref.context);
        if (key && key.tags.length > 0) conditions.push([CONDITION_KEYS.resourceTag, key.tags.map((t) => `${t.key}&${t.value}`)]);
        refs.push({ resource: RESOURCE_NAMES.key(scope.region, scope.account, key?.creatorUin ?? scope.account, ref.keyId), conditions });
      }
      return refs;
    },
  };
}
