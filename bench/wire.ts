/**
 * What goes on the wire for each protocol: the gRPC length prefix, the
 * Connect unary headers, and TC3-HMAC-SHA256 signed API 3.0 requests (an
 * independent signer, written like the Go and Python SDKs sign; it shares no
 * code with the server's verifier).
 */
import { createHash, createHmac } from "node:crypto";

export type Protocol = "grpc" | "connect" | "api3";

export const GRPC_HEADERS = { "content-type": "application/grpc", te: "trailers" } as const;
export const CONNECT_HEADERS = { "content-type": "application/proto", "connect-protocol-version": "1" } as const;

/** The 5-byte gRPC message prefix (uncompressed) + the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The message of a single-message gRPC body, or undefined when the body is not one. */
export function grpcUnframe(body: Buffer): Buffer | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const length = body.readUInt32BE(1);
  return body.length === 5 + length ? body.subarray(5) : undefined;
}

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
const hmac = (key: string | Buffer, s: string) => createHmac("sha256", key).update(s).digest();

/** An API 3.0 product: its version and the service name its SDKs sign with. */
export interface ApiProduct {
  version: string;
  service: string;
}

export const KMS_PRODUCT: ApiProduct = { version: "2019-01-18", service: "kms" };
export const SSM_PRODUCT: ApiProduct = { version: "2019-09-23", service: "ssm" };

/** Headers of a TC3-signed POST / with a JSON body; valid for the server's ±5 minute window. */
export function tc3Headers(action: string, body: string, host: string, secretId: string, secretKey: string, now = Date.now(), product: ApiProduct = KMS_PRODUCT): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  const contentType = "application/json";
  const canonicalRequest = `POST\n/\n\ncontent-type:${contentType}\nhost:${host}\n\ncontent-type;host\n${sha256(body)}`;
  const scope = `${date}/${product.service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${scope}\n${sha256(canonicalRequest)}`;
  const signingKey = hmac(hmac(hmac(`TC3${secretKey}`, date), product.service), "tc3_request");
  const signature = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  return {
    "content-type": contentType,
    "x-tc-action": action,
    "x-tc-version": product.version,
    "x-tc-timestamp": String(timestamp),
    "x-tc-region": "ap-guangzhou",
    authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`,
  };
}
