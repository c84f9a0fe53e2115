/**
 * A white-box key as this family stores it. The record holds what listings
 * need; the key itself, its two table files and its device fingerprints are
 * stored apart, each sealed under the root key (repository.ts), so a listing
 * reads kilobytes, not megabytes, and never unseals anything.
 */
import type { WhiteBoxAlgorithm } from "../crypto/whitebox/index.js";

export type { WhiteBoxAlgorithm };

/** Tencent's spellings. */
export type WhiteBoxKeyStatus = "Enabled" | "Disabled";

/** Where a key lives: white-box keys are scoped by account and region. */
export interface WhiteBoxScope {
  /** Decimal uin of the owning account. */
  account: string;
  region: string;
}

export interface WhiteBoxTag {
  key: string;
  value: string;
}

export interface WhiteBoxKeyRecord extends WhiteBoxScope {
  keyId: string;
  alias: string;
  description: string;
  /** Unix milliseconds. */
  createTime: number;
  status: WhiteBoxKeyStatus;
  algorithm: WhiteBoxAlgorithm;
  /** Decimal uin of the principal that created it. */
  creatorUin: string;
  tags: WhiteBoxTag[];
  /** Hex table id shared by the key's two table files. */
  tableId: string;
  /** Device fingerprints bound to the key (the list itself is sealed apart). */
  fingerprintCount: number;
}

/** One device allowed to open the key's DecryptKey. */
export interface DeviceFingerprintEntry {
  identity: string;
  description: string;
}

/** The three sealed parts of a key besides its record. */
export type MaterialPart = "key" | "encrypt-tables" | "decrypt-tables";
