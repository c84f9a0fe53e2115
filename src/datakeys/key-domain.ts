/**
 * The one adapter between the hosted data keys and the key domain, both
 * ways: CmkCipher over the key domain's resolver and CMK blobs (resolveKey,
 * sealUnderKey, openBlob) and its reply encryption, and the HostedDataKeys
 * port the key domain's GenerateDataKey and GetServiceStatus reach this family
 * through. No other file of src/datakeys imports src/keys, and src/keys
 * imports nothing of this family: app.ts wires the two.
 */
import type { Clock } from "../clock.js";
import { parseBlob } from "../crypto/ciphertext.js";
import { canonicalContext } from "../crypto/context.js";
import type { RootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import type { KvStore } from "../store/store.js";
import { replyPlaintext } from "../keys/asymmetric.js";
import { openBlob, sealUnderKey } from "../keys/cmk-blobs.js";
import type { HostedDataKeys, KmsDeps } from "../keys/deps.js";
import { resolveKey } from "../keys/resolver.js";
import type { CmkCipher, DataKeysDeps, DataKeysSettings, Locks } from "./deps.js";
import { scopeOf } from "./present.js";
import { keepDataKey } from "./records.js";
import { DataKeyRepository } from "./repository.js";
import { assertNewDataKeyFields } from "./validate.js";

export function createCmkCipher(kms: KmsDeps): CmkCipher {
  return {
    async seal(call, keyId, plaintext, context) {
      const use = await resolveKey(kms, call, "encrypt", keyId);
      return { keyId: use.keyId, blob: sealUnderKey(kms, use, plaintext, canonicalContext(context)) };
    },
    async open(call, blob, context) {
      const opened = await openBlob(kms, call, blob, canonicalContext(context));
      return { keyId: opened.use.keyId, plaintext: opened.plaintext };
    },
    keyIdOf(blob) {
      try {
        return parseBlob(blob).keyId;
      } catch {
        return undefined;
      }
    },
    async facts(_scope, keyId) {
      // The key domain keeps one account today; its records are read as the authorisation of key calls reads them.
      const key = await kms.repo.getKey(keyId).catch((err: unknown) => {
        if (err instanceof KmsError) return undefined;
        throw err;
      });
      return key && { alias: key.alias, creatorUin: key.creatorUin, tags: key.tags };
    },
    reply: (plaintext, publicKeyPem, algorithm) => replyPlaintext(kms, plaintext, publicKeyPem, algorithm),
  };
}

/** The HostedDataKeys port over this family, for the key domain (KmsDeps.hostedDataKeys). */
export function hostedDataKeysPort(deps: DataKeysDeps): HostedDataKeys {
  return {
    assertHostable: (name, description, tags) => assertNewDataKeyFields(name, description, tags),
    async host(call, dk) {
      const record = await keepDataKey(deps, call, {
        keyId: dk.keyId,
        blob: dk.ciphertextBlob,
        encryptionContext: dk.encryptionContext,
        numberOfBytes: dk.numberOfBytes,
        origin: "TENCENT_KMS",
        name: dk.name,
        description: dk.description,
        tags: [...dk.tags],
      });
      return record.dataKeyId;
    },
    async usage(call) {
      return { limit: deps.settings.dataKeyLimit, used: (await deps.repo.index(scopeOf(call))).countedSize };
    },
  };
}

export interface DataKeysOptions {
  locks: Locks;
  clock: Clock;
  rootKey: RootKey;
  settings: DataKeysSettings;
  /** Other processes write the store too (etcd replicas): changes carry their guards (default true). */
  shared?: boolean;
}

/**
 * The hosted data keys over a store and a key domain: what app.ts wires
 * (with KmsDeps.hostedDataKeys = hostedDataKeysPort(result)). The listing
 * index is built on first use; call buildDataKeyIndex after start to build it
 * in the background.
 */
export function openDataKeys(store: KvStore, kms: KmsDeps, options: DataKeysOptions): DataKeysDeps {
  return {
    repo: new DataKeyRepository(store, options.shared === undefined ? {} : { shared: options.shared }),
    locks: options.locks,
    cipher: createCmkCipher(kms),
    rootKey: options.rootKey,
    clock: options.clock,
    settings: options.settings,
    accountLabel: kms.accountLabel,
  };
}
