/**
 * API 3.0 clients: the official tencentcloud-sdk-nodejs KMS client pointed at
 * the gateway, and a small independent signer for requests built by hand the
 * way the Go and Python SDKs build them (written from ../shared/api/tc3.md,
 * sharing no code with the server's verifier).
 */
import { createHash, createHmac } from "node:crypto";
import { request } from "node:http";
import { kms } from "tencentcloud-sdk-nodejs/tencentcloud/services/kms/index.js";
import { ssm } from "tencentcloud-sdk-nodejs/tencentcloud/services/ssm/index.js";

export type TencentKmsClient = InstanceType<typeof kms.v20190118.Client>;
export type TencentSsmClient = InstanceType<typeof ssm.v20190923.Client>;

export interface SdkOptions {
  reqMethod?: "POST" | "GET";
  signMethod?: "TC3-HMAC-SHA256" | "HmacSHA256" | "HmacSHA1";
  region?: string;
}

export function tencentKms(httpUrl: string, secretId: string, secretKey: string, opts: SdkOptions = {}): TencentKmsClient {
  const endpoint = httpUrl.replace(/^http:\/\//, "");
  return new kms.v20190118.Client({
    credential: { secretId, secretKey },
    region: opts.region ?? "ap-guangzhou",
    profile: {
      signMethod: opts.signMethod ?? "TC3-HMAC-SHA256",
      httpProfile: { endpoint, protocol: "http://", reqMethod: opts.reqMethod ?? "POST", reqTimeout: 10 },
    },
  });
}

/** The official Secrets Manager client (ssm.v20190923), unmodified, pointed at the gateway. */
export function tencentSsm(httpUrl: string, secretId: string, secretKey: string, opts: SdkOptions = {}): TencentSsmClient {
  const endpoint = httpUrl.replace(/^http:\/\//, "");
  return new ssm.v20190923.Client({
    credential: { secretId, secretKey },
    region: opts.region ?? "ap-guangzhou",
    profile: {
      signMethod: opts.signMethod ?? "TC3-HMAC-SHA256",
      httpProfile: { endpoint, protocol: "http://", reqMethod: opts.reqMethod ?? "POST", reqTimeout: 10 },
    },
  });
}

/** The API 3.0 error code the SDK surfaced for a failed call. */
export async function sdkCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!code) throw new Error(`the SDK surfaced no code: ${(err as Error).message}`);
    return code;
  }
  throw new Error("expected the call to fail");
}

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
const hmac = (key: string | Buffer, s: string) => createHmac("sha256", key).update(s).digest();

export interface HandSigned {
  action: string;
  body: string;
  secretId: string;
  secretKey: string;
  /** The Host header as sent, e.g. 127.0.0.1:PORT. */
  host: string;
  /** What goes into the canonical host line (Go/Python: host with port). */
  canonicalHost?: string;
  service?: string;
  timestamp?: number;
  /** Scope date override (to test a wrong scope). */
  date?: string;
  version?: string;
  region?: string;
  unsignedPayload?: boolean;
  token?: string;
  contentType?: string;
  /** Header names to sign (lower-case), instead of the SDKs' content-type;host. */
  signedHeaders?: string[];
}

/** Headers of a TC3-signed POST as the Go and Python SDKs send it. */
export function tc3Headers(r: HandSigned): Record<string, string> {
  const timestamp = r.timestamp ?? Math.floor(Date.now() / 1000);
  const date = r.date ?? new Date(timestamp * 1000).toISOString().slice(0, 10);
  const service = r.service ?? "kms";
  const contentType = r.contentType ?? "application/json";
  const signedNames = [...(r.signedHeaders ?? ["content-type", "host"])].sort();
  const values: Record<string, string> = {
    "content-type": contentType,
    host: r.canonicalHost ?? r.host,
    "x-tc-action": r.action,
    "x-tc-version": r.version ?? "2019-01-18",
    "x-tc-region": r.region ?? "ap-guangzhou",
  };
  const canonicalHeaders = signedNames.map((n) => `${n}:${values[n] ?? ""}\n`).join("");
  const payloadHash = sha256(r.unsignedPayload ? "UNSIGNED-PAYLOAD" : r.body);
  const canonicalRequest = `POST\n/\n\n${canonicalHeaders}\n${signedNames.join(";")}\n${payloadHash}`;
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = `TC3-HMAC-SHA256\n${timestamp}\n${scope}\n${sha256(canonicalRequest)}`;
  const kSigning = hmac(hmac(hmac(`TC3${r.secretKey}`, date), service), "tc3_request");
  const signature = createHmac("sha256", kSigning).update(stringToSign).digest("hex");
  const headers: Record<string, string> = {
    "Content-Type": contentType,
    Host: r.host,
    "X-TC-Action": r.action,
    "X-TC-Version": r.version ?? "2019-01-18",
    "X-TC-Timestamp": String(timestamp),
    "X-TC-Region": r.region ?? "ap-guangzhou",
    Authorization: `TC3-HMAC-SHA256 Credential=${r.secretId}/${scope}, SignedHeaders=${signedNames.join(";")}, Signature=${signature}`,
  };
  if (r.unsignedPayload) headers["X-TC-Content-SHA256"] = "UNSIGNED-PAYLOAD";
  if (r.token) headers["X-TC-Token"] = r.token;
  return headers;
}

export interface RawAnswer {
  status: number;
  contentType: string | undefined;
  body: { Response: { Error?: { Code: string; Message: string }; RequestId: string } & Record<string, unknown> };
}

/** Sends raw bytes to the gateway and parses the envelope. */
export function send(httpUrl: string, headers: Record<string, string>, body: string | Buffer, method = "POST", path = "/", localAddress?: string): Promise<RawAnswer> {
  const url = new URL(path, httpUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ...(localAddress ? { localAddress } : {}), headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as RawAnswer["body"] });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
