/**
 * Shamir unseal: the keyring's wrapping key is split into n shares of which
 * any k rebuild it (shamir-secret-sharing: GF(256), independently audited).
 *
 * A share as handed out:  kmss1.<set id (16 hex)>.<base64url of the 33 share bytes>
 *
 * Shares do not authenticate themselves, and a wrong one would silently
 * combine into a wrong key. So the keyring record keeps a commitment to each
 * share, SHA-256 over the set id and the share's bytes: a share is checked
 * the moment it arrives, a typo or a share of another initialisation is
 * refused by name, and k accepted shares always rebuild the key. With k >= 2
 * every share is 256 uniformly random bits, so the commitments reveal
 * nothing a brute force could use.
 */
import { createHash } from "node:crypto";
import { combine, split } from "shamir-secret-sharing";
import { randomBytes } from "../crypto/random.js";

const PREFIX = "kmss1";
const SHARE_BYTES = 33;
export const MIN_THRESHOLD = 2;
export const MAX_SHARES = 255;

/** A share that is malformed, or not one of this seal's. The message never contains share bytes. */
export class ShareError extends Error {
  override readonly name = "ShareError";
}

export interface ShamirParams {
  setId: string;
  threshold: number;
  shares: number;
  /** Hex SHA-256 commitment of each share, in the order they were handed out. */
  commitments: string[];
}

export interface ParsedShare {
  setId: string;
  bytes: Buffer;
  /** The share's x coordinate (its last byte): two shares with the same x are the same share. */
  x: number;
}

export function assertSplit(shares: number, threshold: number): void {
  if (!Number.isInteger(shares) || shares < MIN_THRESHOLD || shares > MAX_SHARES) throw new ShareError(`shares must be an integer from ${MIN_THRESHOLD} to ${MAX_SHARES}, got ${shares}`);
  if (!Number.isInteger(threshold) || threshold < MIN_THRESHOLD || threshold > shares) throw new ShareError(`threshold must be an integer from ${MIN_THRESHOLD} to shares (${shares}), got ${threshold}`);
}

function commitment(setId: string, bytes: Uint8Array): string {
  return createHash("sha256").update(`kms/v1/unseal-share\0${setId}\0`, "utf8").update(bytes).digest("hex");
}

/** Splits a 32-byte key into `shares` shares, `threshold` of which rebuild it. */
export async function splitKey(key: Uint8Array, shares: number, threshold: number): Promise<{ params: ShamirParams; shares: string[] }> {
  assertSplit(shares, threshold);
  const setId = Buffer.from(randomBytes(8)).toString("hex");
  // The library wants a plain Uint8Array (not a Buffer); the copy is wiped below.
  const secret = new Uint8Array(key);
  const parts = await split(secret, shares, threshold).finally(() => secret.fill(0));
  const texts = parts.map((p) => `${PREFIX}.${setId}.${Buffer.from(p).toString("base64url")}`);
  const params: ShamirParams = { setId, threshold, shares, commitments: parts.map((p) => commitment(setId, p)) };
  for (const p of parts) p.fill(0);
  return { params, shares: texts };
}

export function parseShare(text: string): ParsedShare {
  const parts = text.trim().split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX || !/^[0-9a-f]{16}$/.test(parts[1] ?? "") || !/^[A-Za-z0-9_-]+$/.test(parts[2] ?? ""))
    throw new ShareError(`a share looks like ${PREFIX}.<16 hex digits>.<base64url>`);
  const bytes = Buffer.from(parts[2] as string, "base64url");
  if (bytes.length !== SHARE_BYTES) throw new ShareError(`a share holds ${SHARE_BYTES} bytes, this one ${bytes.length}`);
  return { setId: parts[1] as string, bytes, x: bytes[SHARE_BYTES - 1] as number };
}

/** Refuses a share of another initialisation, or one that is not exactly as handed out. */
export function assertShareOf(params: ShamirParams, share: ParsedShare): void {
  if (share.setId !== params.setId) throw new ShareError(`the share belongs to seal ${share.setId}, not to this store's seal ${params.setId}`);
  if (!params.commitments.includes(commitment(share.setId, share.bytes))) throw new ShareError("the share is not one of this seal's shares (mistyped or corrupted)");
}

/** Rebuilds the key from at least `threshold` checked shares. */
export async function combineShares(shares: readonly ParsedShare[]): Promise<Buffer> {
  const key = await combine(shares.map((s) => new Uint8Array(s.bytes)));
  return Buffer.from(key);
}
