/**
 * What a DataKeyService request is about, for the pipeline's authorisation
 * and audit: the data keys it names (DataKeyId, DataKeyIds), each as the
 * resource
 *
 *   qcs::kms:<region>:uin/<account>:datakey/creatorUin/<creator>/<dataKeyId>
 *
 * (the form of the CMK's, with the data key's own ResourceId
 * "creatorUin/<creator>/<dataKeyId>") and its tags as qcs:resource_tag; for
 * ImportDataKey, the CMK the data key is sealed under (KeyId, or the one its
 * ciphertext names), as the key calls name it; for the listings, the account.
 * A data key or CMK that does not exist is named with the account as its
 * creator, so a caller cannot tell missing ones from ones outside its grant.
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { CONDITION_KEYS, RESOURCE_NAMES, type CallScope, type RequestResources, type ResourceRef } from "../call.js";
import { isUuid } from "../crypto/ciphertext.js";
import type { DataKeyTag } from "./data-key.js";
import type { CmkCipher } from "./deps.js";
import type { DataKeyRepository } from "./repository.js";

/** The resource name of one data key. */
export function dataKeyResource(region: string, account: string, creatorUin: string, dataKeyId: string): string {
  return `qcs::kms:${region}:uin/${account}:datakey/creatorUin/${creatorUin}/${dataKeyId}`;
}

interface Named {
  dataKeyIds: string[];
  /** ImportDataKey: the CMK the request names, or the one inside its ciphertext. */
  keyId: string | undefined;
}

function namedIn(method: DescMethod, req: MessageShape<DescMessage>, cipher: CmkCipher): Named {
  const r = req as unknown as { dataKeyId?: string; dataKeyIds?: string[]; keyId?: string; importKeyMaterial?: Uint8Array; importType?: number };
  const dataKeyIds = [...(r.dataKeyIds ?? []), ...(r.dataKeyId ? [r.dataKeyId] : [])];
  let keyId: string | undefined;
  if (method.name === "ImportDataKey") {
    keyId = r.keyId || undefined;
    if (keyId === undefined && r.importType === 1 && r.importKeyMaterial) keyId = cipher.keyIdOf(r.importKeyMaterial);
  }
  return { dataKeyIds: [...new Set(dataKeyIds)], keyId };
}

function tagConditions(tags: readonly DataKeyTag[] | undefined): [string, string[]][] {
  return tags && tags.length > 0 ? [[CONDITION_KEYS.resourceTag, tags.map((t) => `${t.key}&${t.value}`)]] : [];
}

export function dataKeyResources(repo: DataKeyRepository, cipher: CmkCipher): RequestResources {
  return {
    subjects(method, req) {
      const named = namedIn(method, req, cipher);
      return [...named.dataKeyIds, ...(named.keyId ? [named.keyId] : [])];
    },
    async resources(method, req, scope: CallScope): Promise<ResourceRef[]> {
      const named = namedIn(method, req, cipher);
      const refs: ResourceRef[] = [];
      if (method.name === "ImportDataKey") {
        const keyId = named.keyId ?? "";
        const facts = isUuid(keyId) ? await cipher.facts(scope, keyId) : undefined;
        refs.push({ resource: RESOURCE_NAMES.key(scope.region, scope.account, facts?.creatorUin ?? scope.account, keyId), conditions: tagConditions(facts?.tags) });
        return refs;
      }
      if (named.dataKeyIds.length === 0 && method.input.fields.some((f) => f.localName === "dataKeyId" || f.localName === "dataKeyIds")) {
        // A request that should name a data key but does not: checked against an empty id, as the key calls do.
        return [{ resource: dataKeyResource(scope.region, scope.account, scope.account, "") }];
      }
      const ids = named.dataKeyIds.filter(isUuid);
      const records = ids.length > 0 ? await repo.getMany(scope, ids).catch(() => ids.map(() => undefined)) : [];
      for (const id of named.dataKeyIds) {
        const record = isUuid(id) ? records[ids.indexOf(id)] : undefined;
        refs.push({ resource: dataKeyResource(scope.region, scope.account, record?.creatorUin ?? scope.account, id), conditions: tagConditions(record?.tags) });
      }
      return refs;
    },
  };
}
