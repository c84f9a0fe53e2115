/**
 * One X.509 certificate from PEM: what a registration of it keeps. The
 * fingerprint is the SHA-256 of the DER encoding, as the TLS listener
 * computes it for a presented certificate (src/transport/http/peer.ts).
 */
import { createHash, X509Certificate } from "node:crypto";
import { KmsError } from "../errors.js";

export interface ParsedCertificate {
  /** Lower-case hex SHA-256 of the DER certificate. */
  fingerprint: string;
  /** Subject CN ("" when it has none). */
  subject: string;
  /** Validity, ms. */
  notBefore: number;
  notAfter: number;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/g;
const MAX_PEM_CHARS = 16 * 1024;

function invalid(why: string): KmsError {
  return new KmsError("InvalidParameterValue", `CertificatePem must be one X.509 certificate in PEM: ${why}`);
}

/** The subject's CN: the last CN= line of Node's subject text. */
export function subjectCn(subject: string): string {
  const cn = subject.split("\n").filter((l) => l.startsWith("CN="));
  return cn.length > 0 ? (cn[cn.length - 1] as string).slice(3) : "";
}

/** Parses exactly one certificate, refusing anything else and an expired one (`nowMs`). */
export function parseCertificatePem(pem: string, nowMs: number): ParsedCertificate {
  if (pem.length === 0) throw new KmsError("MissingParameter", "CertificatePem is required");
  if (pem.length > MAX_PEM_CHARS) throw invalid(`at most ${MAX_PEM_CHARS} characters`);
  const count = pem.match(PEM_CERTIFICATE)?.length ?? 0;
  if (count !== 1) throw invalid(`found ${count} certificates`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw invalid("it does not parse");
  }
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) throw invalid("its validity does not parse");
  if (notAfter <= nowMs) throw invalid("it has expired");
  return { fingerprint: createHash("sha256").update(cert.raw).digest("hex"), subject: subjectCn(cert.subject), notBefore, notAfter };
}
