/**
 * What every hosted-data-key action is given: its collaborators, as ports.
 * Who is calling comes with the call (src/call.ts). The key domain is reached
 * only through CmkCipher, whose one adapter is cmk-cipher.ts.
 */
import type { CallContext } from "../call.js";
import type { Clock } from "../clock.js";
import type { RootKey } from "../crypto/seal.js";
import type { DataKeyScope, DataKeyTag } from "./data-key.js";
import type { DataKeyRepository } from "./repository.js";

export interface DataKeysSettings {
  /** Most data keys one account keeps in one region, pending deletion excluded (KMS_DATA_KEY_LIMIT). */
  dataKeyLimit: number;
  /** The one HSM cluster this service is (KMS_HSM_CLUSTER_ID). */
  hsmClusterId: string;
}

/** What a CMK says about itself, for metadata (KeyName) and authorisation (creator, tags). */
export interface CmkFacts {
  alias: string;
  creatorUin: string;
  tags: readonly DataKeyTag[];
}

/**
 * Data keys under CMKs of the key domain. Its refusals (key missing,
 * disabled, pending deletion, not symmetric; a blob that does not open) are
 * thrown as the key domain's KmsErrors, unchanged: the API documents them for
 * the data-key actions too.
 */
export interface CmkCipher {
  /** Encrypts under `keyId`'s newest version (the key domain's Encrypt rules), binding `context` (EncryptionContext JSON, "" for none). */
  seal(call: CallContext, keyId: string, plaintext: Uint8Array, context: string): Promise<{ keyId: string; blob: Uint8Array }>;
  /** Decrypts a blob with the key and version it names (the key domain's Decrypt rules). */
  open(call: CallContext, blob: Uint8Array, context: string): Promise<{ keyId: string; plaintext: Uint8Array }>;
  /** The CMK a blob names, or undefined when it is not a CMK blob. */
  keyIdOf(blob: Uint8Array): string | undefined;
  /** A CMK's alias, creator and tags as seen from `scope`; undefined when there is no such key. */
  facts(scope: DataKeyScope, keyId: string): Promise<CmkFacts | undefined>;
  /** The plaintext as the caller asked for it: in clear, or encrypted to its PEM public key (EncryptionPublicKey). */
  reply(plaintext: Uint8Array, publicKeyPem: string, algorithm: string): Promise<Uint8Array>;
}

/** In-process named mutexes (the key domain's LockSet fits). */
export interface Locks {
  run<T>(names: readonly string[], fn: () => Promise<T>): Promise<T>;
}

export interface DataKeysDeps {
  repo: DataKeyRepository;
  locks: Locks;
  cipher: CmkCipher;
  /** Seals each stored ciphertext again, bound to its record's place (sealing.ts). */
  rootKey: RootKey;
  clock: Clock;
  settings: DataKeysSettings;
  /** The name and app id of an account, for DataKeyMetadata; absent: left empty. */
  accountLabel?: ((account: string) => { name: string; appId: bigint } | undefined) | undefined;
}
