/** What every key action is given: its collaborators. Who is calling comes with the call (src/call.ts). No transport types. */
import type { CallContext } from "../call.js";
import type { Clock } from "../clock.js";
import type { KeyTypeName } from "../config.js";
import type { AsymmetricEngine } from "../crypto/asymmetric/pool.js";
import type { RootKey } from "../crypto/seal.js";
import type { AccountLabel } from "./key.js";
import type { Aead } from "../crypto/primitives.js";
import type { KeyTag } from "./key.js";
import type { LockSet } from "./locks.js";
import type { MaterialCache } from "./material.js";
import type { KeyRepository } from "./repository.js";

export interface KmsSettings {
  defaultKeyType: KeyTypeName;
  regions: readonly string[];
  /** The default account (the operator's). Calls act in their own account (CallContext.uin). */
  accountUin: bigint;
  /** Most keys one account keeps in one region (every state but purged). */
  cmkLimit: number;
  /** Least time between two on-demand RotateKey calls on one key. */
  manualRotationIntervalMs: number;
  /** The one HSM cluster this service is (KMS_HSM_CLUSTER_ID); absent: DEFAULT_HSM_CLUSTER_ID. */
  hsmClusterId?: string;
}

/** A data key GenerateDataKey made, to be kept by the hosted data keys (IsHostedByKms 1). */
export interface DataKeyToHost {
  /** The CMK that sealed it. */
  keyId: string;
  /** The CiphertextBlob GenerateDataKey answers: the data key under the CMK. */
  ciphertextBlob: Uint8Array;
  /** The EncryptionContext bound to that blob ("" when none). */
  encryptionContext: string;
  numberOfBytes: number;
  name: string;
  description: string;
  tags: KeyTag[];
}

/**
 * The hosted data keys, as the key domain reaches them (GenerateDataKey with
 * IsHostedByKms 1, GetServiceStatus): a port app.ts wires, so src/keys does
 * not import that family.
 */
export interface HostedDataKeys {
  /** The field rules of a data key to host (name, description, tags), checked before any key work. */
  assertHostable(name: string, description: string, tags: readonly KeyTag[]): void;
  /** Keeps the data key as the call's one change (name unique, limit checked) and answers its id. */
  host(call: CallContext, dataKey: DataKeyToHost): Promise<string>;
  /** What GetServiceStatus reports for the call's account and region. */
  usage(call: CallContext): Promise<{ limit: number; used: number }>;
}

export interface AsymmetricMaterial {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface KmsDeps {
  repo: KeyRepository;
  locks: LockSet;
  rootKey: RootKey;
  materials: MaterialCache<Aead>;
  /** Unsealed asymmetric private keys and their public keys, by key version. */
  privateKeys: MaterialCache<AsymmetricMaterial>;
  /** Where asymmetric work runs (worker threads). */
  asymmetric: AsymmetricEngine;
  clock: Clock;
  /** Secret random bytes (key material, data keys, GenerateRandom). */
  random: (n: number) => Uint8Array;
  /** Random bytes for public values (IVs). */
  nonce: (n: number) => Uint8Array;
  settings: KmsSettings;
  /** The hosted data keys (wired by app.ts); absent: IsHostedByKms 1 answers UnsupportedOperation. */
  hostedDataKeys?: HostedDataKeys;
  /** The name and app id of an account, for KeyMetadata; absent: left empty. */
  accountLabel?: (account: string) => AccountLabel | undefined;
}
