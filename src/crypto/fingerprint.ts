/** Fingerprints of imported key material: a re-import must bring the same material. */
import { createHash, timingSafeEqual } from "node:crypto";

/** SHA-256 over a domain label, the key id and the material; hex. (256-bit random material: the hash reveals nothing.) */
export function materialFingerprint(keyId: string, material: Uint8Array): string {
  return createHash("sha256").update(`kms/v1/material-fingerprint/${keyId}/`).update(material).digest("hex");
}

/** Constant-time equality of two fingerprints. */
export function fingerprintsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
