/**
 * The one adapter from the secrets family to the key domain: SecretCipher
 * over the key domain's resolver and CMK blobs (resolveKey, sealUnderKey,
 * openBlob) and createKey, and the composition of the family over a
 * store and a key domain (openSecretsOverKeys). No other file of src/secrets
 * imports src/keys, so a change of the key domain's internals lands here only.
 */
import { create } from "@bufbuild/protobuf";
import { CreateKeyRequestSchema } from "../../gen/kms/v1/kms_pb.js";
import type { CallContext, Journal } from "../call.js";
import type { Clock } from "../clock.js";
import { decryptBlob, parseBlob } from "../crypto/ciphertext.js";
import { canonicalContext } from "../crypto/context.js";
import { randomAlphanumeric } from "../crypto/random.js";
import { KmsError } from "../errors.js";
import { StoreConflictError, type KvStore } from "../store/store.js";
import { createKey } from "../keys/actions/create-key.js";
import type { KmsDeps } from "../keys/deps.js";
import { openBlob, sealUnderKey } from "../keys/cmk-blobs.js";
import { findKey, resolveKey } from "../keys/resolver.js";
import { CipherIntegrityError, type CipherContext, type Locks, type SecretCipher, type SecretsDeps, type SecretsSettings } from "./deps.js";
import { createProductValues } from "./product-values.js";
import { PRODUCTS, type ProductRegistry } from "./products/registry.js";
import { RotationEngine } from "./products/rotation.js";
import { SecretRepository } from "./repository.js";

/** Key-domain codes that mean "this ciphertext or context does not verify". */
const INTEGRITY_CODES = new Set(["FailedOperation.DecryptError"]);

/** A refusal of the key domain, as SSM answers it: FailedOperation.AccessKmsError, the key domain's code kept in the message. */
function kmsRefusal(err: unknown): unknown {
  if (!(err instanceof KmsError) || err.code === "InternalError") return err;
  return new KmsError("FailedOperation.AccessKmsError", `KMS refused: ${err.code}: ${err.message}`, err);
}

function contextBytes(context: CipherContext): Uint8Array {
  return canonicalContext(JSON.stringify(context));
}

/** Runs a key-domain call, answering its refusals as SSM does. */
async function viaKms<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KmsError && INTEGRITY_CODES.has(err.code)) throw new CipherIntegrityError();
    throw kmsRefusal(err);
  }
}

/**
 * Decrypts with `keyId`'s own material whatever key the blob names: for a
 * package sealed on another instance by a key holding the same material
 * (BYOK). The blob's header is still the AAD, so nothing about it can change;
 * the versions of `keyId` are tried newest first, the blob's own number first.
 */
async function decryptWithKeyMaterial(kms: KmsDeps, call: CallContext, keyId: string, blobBytes: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
  const key = await findKey(kms, call, keyId, "KmsKeyId");
  let blob;
  try {
    blob = parseBlob(blobBytes);
  } catch {
    throw new CipherIntegrityError();
  }
  const numbers = key.versions.map((v) => v.version);
  const order = [...numbers.filter((v) => v === blob.keyVersion), ...numbers.filter((v) => v !== blob.keyVersion).reverse()];
  let refusal: unknown = new CipherIntegrityError();
  for (const keyVersion of order) {
    try {
      // The resolver decides which versions may decrypt (state tables) and checks the algorithm.
      const use = await resolveKey(kms, call, "decrypt", keyId, { keyVersion, algorithm: blob.algorithm });
      return decryptBlob(use.aead, blob, context);
    } catch (err) {
      if (!(err instanceof KmsError) || err.code === "InternalError") throw err;
      // A version that may not decrypt, or whose material does not open the blob: try the next.
      if (!INTEGRITY_CODES.has(err.code)) refusal = err;
    }
  }
  throw refusal;
}

/** The default CMK's alias: the key domain reserves "kms-" for itself, so ours is "ssm-default-" and a random suffix, never one the account chose. */
function defaultKeyAlias(): string {
  return `ssm-default-${randomAlphanumeric(12).toLowerCase()}`;
}

const defaultKeyLock = (account: string, region: string) => `ssm-default-key:${account}/${region}`;

export function createKeyCipher(kms: KmsDeps, repo: SecretRepository, locks: Locks): SecretCipher {
  return {
    encrypt: (call, keyId, plaintext, context) => viaKms(async () => sealUnderKey(kms, await resolveKey(kms, call, "encrypt", keyId, { field: "KmsKeyId" }), plaintext, contextBytes(context))),

    decrypt: (call, blob, context, keyId) =>
      viaKms(async () => {
        if (keyId !== undefined) return decryptWithKeyMaterial(kms, call, keyId, blob, contextBytes(context));
        // A blob that does not parse is not a refusal of a key: it failed its integrity.
        try {
          parseBlob(blob);
        } catch {
          throw new CipherIntegrityError();
        }
        return (await openBlob(kms, call, blob, contextBytes(context))).plaintext;
      }),

    generateDataKey: (call, keyId, context) =>
      viaKms(async () => {
        const use = await resolveKey(kms, call, "encrypt", keyId, { field: "KmsKeyId" });
        const plaintext = kms.random(32);
        try {
          return { plaintext, blob: sealUnderKey(kms, use, plaintext, contextBytes(context)) };
        } catch (err) {
          plaintext.fill(0);
          throw err;
        }
      }),

    async defaultKeyId(call: CallContext): Promise<string> {
      const scope = { account: call.uin.toString(), region: call.region };
      return locks.run([defaultKeyLock(scope.account, scope.region)], async () => {
        const existing = await repo.defaultKeyId(scope);
        if (existing !== undefined) return existing;
        // Created as the account (the key's creator), audited as the caller; the pointer goes in the key's own batch,
        // guarded by its absence: another replica making the default key at the same time wins, and its key is used.
        const journal: Journal = async (ops, subjects, guards = []) => {
          const keyId = subjects?.[0];
          if (keyId === undefined) throw new Error("secrets: the default key's batch names no key");
          try {
            return await call.journal([...ops, repo.putDefaultKey(scope, keyId)], subjects, repo.shared ? [...guards, repo.absentDefaultKey(scope)] : guards);
          } catch (err) {
            // Out of the key domain's own re-runs (its alias and id guards), which cannot help here.
            const taken = err instanceof StoreConflictError ? await repo.defaultKeyId(scope) : undefined;
            if (taken !== undefined) throw new DefaultKeyTaken(taken);
            throw err;
          }
        };
        const req = create(CreateKeyRequestSchema, {
          alias: defaultKeyAlias(),
          description: `Default key of Secrets Manager for account ${scope.account} in ${scope.region}, created on first use`,
        });
        try {
          const created = await viaKms(() => createKey(kms, req, { ...call, journal, principal: { ...call.principal, uin: call.uin, account: call.uin } }));
          return created.keyId as string;
        } catch (err) {
          if (err instanceof DefaultKeyTaken) return err.keyId;
          throw err;
        }
      });
    },
  };
}

/** Another replica set the default key first: nothing of ours was written; use its key. */
class DefaultKeyTaken extends Error {
  override readonly name = "DefaultKeyTaken";
  constructor(readonly keyId: string) {
    super(`the default key is ${keyId}`);
  }
}

export interface SecretsOptions {
  locks: Locks;
  clock: Clock;
  settings: SecretsSettings;
  /** Products of product secrets (default: PRODUCTS, i.e. Mysql). */
  products?: ProductRegistry;
  /** Where the product flows report what they could not do. */
  log?: (msg: string) => void;
  /** Replicas: the secret counts follow the store's watch (the caller hands `repo` to it as a follower). */
  followed?: boolean;
  /** Other processes write the store too (etcd replicas): changes carry their guards (default true). */
  shared?: boolean;
}

/**
 * The secrets family over a store and a key domain: what app.ts wires. The
 * repository is opened (secrets counted per account and region) and the
 * product-secret engine built over the same locks and this family's sealed
 * versions; its unfinished flows are resumed by `recover()`, which the
 * caller runs once the service is up.
 */
export async function openSecretsOverKeys(store: KvStore, kms: KmsDeps, options: SecretsOptions): Promise<SecretsDeps> {
  const repo = new SecretRepository(store, options.shared === undefined ? {} : { shared: options.shared });
  if (options.followed) repo.follow();
  await repo.open();
  const cipher = createKeyCipher(kms, repo, options.locks);
  const products = new RotationEngine({
    store,
    rootKey: kms.rootKey,
    clock: options.clock,
    locks: options.locks,
    products: options.products ?? PRODUCTS,
    values: createProductValues({ repo, cipher }),
    ...(options.shared === undefined ? {} : { shared: options.shared }),
    ...(options.log ? { log: options.log } : {}),
  });
  return { repo, locks: options.locks, clock: options.clock, settings: options.settings, cipher, products };
}
