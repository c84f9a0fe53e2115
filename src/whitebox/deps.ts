/**
 * What every white-box action is given: its collaborators, as ports. Who is
 * calling, and for which account and region, comes with the call
 * (src/call.ts).
 */
import type { CallContext } from "../call.js";
import type { Clock } from "../clock.js";
import type { WhiteBoxAlgorithm, WhiteBoxScope } from "./key.js";
import type { WhiteBoxRepository } from "./repository.js";

export interface WhiteBoxSettings {
  /** Whether the service is offered; when not, every action but DescribeWhiteBoxServiceStatus answers ResourceUnavailable.NotPurchased. */
  enabled: boolean;
  /** Most keys one account keeps in one region; CreateWhiteBoxKey beyond it answers LimitExceeded.KeyLimitExceeded. */
  keyLimit: number;
}

/** A key's two table files, made off the event loop (about 130 ms of CPU for AES-256). */
export interface TableGenerator {
  generate(algorithm: WhiteBoxAlgorithm, key: Uint8Array): Promise<{ tableId: Uint8Array; encryptTables: Uint8Array; decryptTables: Uint8Array }>;
}

/** In-process named mutexes (the key domain's LockSet fits). */
export interface Locks {
  run<T>(names: readonly string[], fn: () => Promise<T>): Promise<T>;
}

export interface WhiteBoxDeps {
  repo: WhiteBoxRepository;
  locks: Locks;
  tables: TableGenerator;
  clock: Clock;
  settings: WhiteBoxSettings;
}

/** The account and region a call acts in. */
export function scopeOf(call: CallContext): WhiteBoxScope {
  return { account: call.uin.toString(), region: call.region };
}

/** Lock names: creation and deletion serialise per scope (count and aliases), changes per key. */
export const scopeLock = (s: WhiteBoxScope) => `whitebox-scope:${s.account}/${s.region}`;
export const keyLock = (s: WhiteBoxScope, keyId: string) => `whitebox-key:${s.account}/${s.region}/${keyId}`;
