/** What every action is given: its collaborators (deps) and who is calling (call). No transport types. */
import type { Identity } from "../access/principal.js";
import type { Clock } from "../clock.js";
import type { BatchOp } from "../store/store.js";
import type { KeyTypeName } from "../config.js";
import type { AsymmetricEngine } from "../crypto/asymmetric/pool.js";
import type { RootKey } from "../crypto/seal.js";
import type { Aead } from "../crypto/primitives.js";
import type { LockSet } from "./locks.js";
import type { MaterialCache } from "./material.js";
import type { KeyRepository } from "./repository.js";

export interface KmsSettings {
  defaultKeyType: KeyTypeName;
  regions: readonly string[];
  accountUin: bigint;
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
}

/**
 * Writes one state change of a call as a single batch. The gate's journal
 * puts the call's audit event in that same batch, so a change is stored if
 * and only if its event is.
 */
export type Journal = (ops: readonly BatchOp[]) => Promise<void>;

/** The caller of one request: authenticated by a transport, authorised by the gate (access/gate.ts). */
export interface CallContext {
  requestId: string;
  /** Account the call acts for (owner of the keys). */
  uin: bigint;
  /** Who is calling: the root or a sub-user of that account. */
  principal: Identity;
  /** How this call writes its changes (see Journal). */
  journal: Journal;
}
