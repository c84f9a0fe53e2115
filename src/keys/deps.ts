/** What every key action is given: its collaborators. Who is calling comes with the call (src/call.ts). No transport types. */
import type { Clock } from "../clock.js";
import type { KeyTypeName } from "../config.js";
import type { AsymmetricEngine } from "../crypto/asymmetric/pool.js";
import type { RootKey } from "../crypto/seal.js";
import type { AccountLabel } from "./key.js";
import type { Aead } from "../crypto/primitives.js";
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
  /** The name and app id of an account, for KeyMetadata; absent: left empty. */
  accountLabel?: (account: string) => AccountLabel | undefined;
}
