/** PEM ⇄ DER for public keys. */
import { AsymmetricInputError } from "./types.js";

/** "-----BEGIN PUBLIC KEY-----", base64 of the DER in 64-character lines (RFC 7468). */
export function spkiToPem(der: Uint8Array): string {
  const lines = Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----\n`;
}

/** The DER inside a "PUBLIC KEY" PEM block (strict base64). */
export function pemToSpki(pem: string): Uint8Array {
  const m = /^-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----\s*$/.exec(pem.trim());
  if (!m) throw new AsymmetricInputError("not a PEM PUBLIC KEY block");
  const b64 = (m[1] as string).replace(/\s+/g, "");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) throw new AsymmetricInputError("PEM body is not base64");
  return Buffer.from(b64, "base64");
}
