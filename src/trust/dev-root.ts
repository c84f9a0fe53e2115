/**
 * The development root: a 32-byte key from KMS_ROOT_KEY or <data>/root.key
 * (created on a fresh store). It sits beside the data it protects, so it
 * protects nothing against whoever can read both; the log says so at every
 * start. The keyring is wrapped under a key derived from it (HKDF), so the
 * same bytes never serve both as the wrap and as keyring version 0 (the
 * legacy sealing key of stores older than the keyring).
 */
import { hkdfSync } from "node:crypto";
import { obtainRootKey } from "../root-key.js";
import { softwareRoot, type RootOfTrust } from "./root.js";

const WRAP_INFO = "kms/v1/dev-root-wrap";

export interface DevRootKey {
  /** The configured or file key: keyring version 0 for legacy stores. */
  key: Buffer;
  /** Where it came from, for the log. */
  source: string;
}

export async function obtainDevRootKey(dataDir: string, configured: Buffer | undefined, mayCreate: boolean, warn: (m: string) => void): Promise<DevRootKey> {
  const key = await obtainRootKey(dataDir, configured, mayCreate, warn);
  return { key, source: configured ? "KMS_ROOT_KEY" : `${dataDir}/root.key` };
}

export function devRoot(key: Uint8Array): RootOfTrust {
  const wrapKey = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), WRAP_INFO, 32));
  try {
    return softwareRoot(wrapKey, { mode: "dev" });
  } finally {
    wrapKey.fill(0);
  }
}
