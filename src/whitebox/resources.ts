/**
 * What a white-box request is about, for the pipeline's authorisation and
 * audit. Tencent's CAM names white-box keys with the key resource form
 * (CAM's KMS resource table lists DeleteWhiteBoxKey, EncryptByWhiteBox... as
 * resource-level on it; CreateWhiteBoxKey as operation-level, "*"):
 *
 *   key       qcs::kms:<region>:uin/<account>:key/creatorUin/<creatorUin>/<keyId>
 *   account   qcs::kms:<region>:uin/<account>:*   (CreateWhiteBoxKey,
 *             DescribeWhiteBoxKeyDetails, DescribeWhiteBoxServiceStatus)
 *
 * A key that does not exist is named with the account as its creator, so a
 * caller cannot tell missing keys from keys outside its grant; a request
 * naming no readable key is checked against a key with an empty id. The
 * key's tags are qcs:resource_tag condition values ("key&value").
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { CONDITION_KEYS, RESOURCE_NAMES, type CallScope, type RequestResources, type ResourceRef } from "../call.js";
import { isUuid } from "../crypto/ciphertext.js";
import type { WhiteBoxKeyRecord, WhiteBoxScope } from "./key.js";

/** The key ids a request names (KeyId or KeyIds), in order, without repeats. */
export function requestKeyIds(req: MessageShape<DescMessage>): string[] {
  const r = req as unknown as { keyId?: unknown; keyIds?: unknown };
  const ids = typeof r.keyId === "string" && r.keyId !== "" ? [r.keyId] : Array.isArray(r.keyIds) ? r.keyIds.filter((id): id is string => typeof id === "string") : [];
  return [...new Set(ids)];
}

/** Methods about one or more keys (the others are about the account). */
const keyScoped = new WeakMap<DescMethod, boolean>();
function isKeyScoped(method: DescMethod): boolean {
  let s = keyScoped.get(method);
  if (s === undefined) keyScoped.set(method, (s = method.input.fields.some((f) => f.localName === "keyId" || f.localName === "keyIds")));
  return s;
}

/** RequestResources of WhiteBoxKeyService over a record lookup in the call's scope. */
export function whiteBoxResources(getKey: (scope: WhiteBoxScope, keyId: string) => Promise<WhiteBoxKeyRecord | undefined>): RequestResources {
  return {
    subjects: (method, req) => (isKeyScoped(method) ? requestKeyIds(req) : []),
    async resources(method, req, scope: CallScope): Promise<ResourceRef[]> {
      if (!isKeyScoped(method)) return [];
      const ids = requestKeyIds(req);
      const refs: ResourceRef[] = [];
      for (const keyId of ids.length > 0 ? ids : [""]) {
        const key = isUuid(keyId) ? await getKey(scope, keyId).catch(() => undefined) : undefined;
        const conditions: [string, string[]][] = key && key.tags.length > 0 ? [[CONDITION_KEYS.resourceTag, key.tags.map((t) => `${t.key}&${t.value}`)]] : [];
        refs.push({ resource: RESOURCE_NAMES.key(scope.region, scope.account, key?.creatorUin ?? scope.account, keyId), conditions });
      }
      return refs;
    },
  };
}
