/** Text, base64 and hex for the crypto panels (bytes fields travel as bytes; the page shows them as base64). */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function text(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Standard or URL-safe base64, whitespace ignored; throws a readable error otherwise. */
export function fromBase64(b64: string, field: string): Uint8Array {
  const clean = b64.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error(`${field} is not base64`);
  let bin: string;
  try {
    bin = atob(clean);
  } catch {
    throw new Error(`${field} is not base64`);
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export type Encoding = "text" | "base64";

export function decodeInput(value: string, encoding: Encoding, field: string): Uint8Array {
  return encoding === "text" ? utf8(value) : fromBase64(value, field);
}

/** DER bytes as a PEM block of the given label, in 64-character lines. */
export function pem(der: Uint8Array, label: string): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Offers bytes or text as a file download (a blob URL, revoked at once; no data in any address bar). */
export function download(name: string, content: Uint8Array | string, type = "application/octet-stream"): void {
  const blob = new Blob([typeof content === "string" ? content : new Uint8Array(content)], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
