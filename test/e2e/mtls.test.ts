/**
 * TLS and mutual TLS on the HTTP/2 port, and the unauthenticated surface
 * (health checks) against everything else needing credentials.
 *
 * Certificates are made per run with the openssl CLI: a CA, a server
 * certificate for 127.0.0.1/localhost, two CA-issued client certificates (one
 * whose CN names a principal, one whose CN names nobody) and a self-signed
 * client certificate that reuses the principal's CN but is not from the CA.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { create, fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { bearer, type AdminClient } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);

const HEALTH_PATH = "/grpc.health.v1.Health/Check";
const SERVING = Buffer.from([0x08, 0x01]);

/** Leaf extensions, so `x509 -req` adds exactly these (req -x509 would add the config's CA defaults). */
const EXTENSIONS = `[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
`;

interface Pem {
  key: Buffer;
  cert: Buffer;
}

interface Pki {
  dir: string;
  ca: Buffer;
  caFile: string;
  serverKeyFile: string;
  serverCertFile: string;
  payments: Pem;
  unknown: Pem;
  selfSigned: Pem;
  /** CA-issued, CN=root: must not authenticate as the account root. */
  rootNamed: Pem;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function openssl(dir: string, args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

/** A key and CSR, then a certificate signed by the CA (or by its own key when `ca` is undefined). */
async function issue(dir: string, name: string, cn: string, section: "server" | "client", serial: number, ca: boolean): Promise<void> {
  await openssl(dir, ["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  const signer = ca ? ["-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", String(serial)] : ["-signkey", `${name}.key`];
  await openssl(dir, ["x509", "-req", "-in", `${name}.csr`, ...signer, "-days", "1", "-out", `${name}.pem`, "-extfile", "ext.cnf", "-extensions", section]);
}

async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), "kms-mtls-"));
  await writeFile(join(dir, "ext.cnf"), EXTENSIONS);
  await openssl(dir, [
    "req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=kms-test-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await Promise.all([
    issue(dir, "server", "localhost", "server", 2, true),
    issue(dir, "payments", "svc-payments", "client", 3, true),
    issue(dir, "unknown", "nobody-known", "client", 4, true),
    issue(dir, "self", "svc-payments", "client", 5, false),
    issue(dir, "root-named", "root", "client", 6, true),
  ]);
  const pem = async (name: string): Promise<Pem> => ({ key: await readFile(join(dir, `${name}.key`)), cert: await readFile(join(dir, `${name}.pem`)) });
  return {
    dir,
    ca: await readFile(join(dir, "ca.pem")),
    caFile: join(dir, "ca.pem"),
    serverKeyFile: join(dir, "server.key"),
    serverCertFile: join(dir, "server.pem"),
    payments: await pem("payments"),
    unknown: await pem("unknown"),
    selfSigned: await pem("self"),
    rootNamed: await pem("root-named"),
  };
}

/** One unary call through grpc-js's generic client, (de)serialised with the generated schemas. */
function unary<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: DescMethodUnary<I, O>,
  req: MessageInitShape<I>,
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<MessageShape<O>> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${method.parent.typeName}/${method.name}`,
      (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, b),
      create(method.input, req),
      metadata,
      { deadline: Date.now() + 10_000 },
      (err, res) => (err ? reject(err) : res ? resolve(res) : reject(new Error("no response"))),
    );
  });
}

/** Raw bytes in and out: the health check needs no generated code. */
function rawUnary(client: grpc.Client, path: string, body: Buffer, metadata: grpc.Metadata = new grpc.Metadata()): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      { deadline: Date.now() + 10_000 },
      (err, res) => (err ? reject(err) : res ? resolve(res) : reject(new Error("no response"))),
    );
  });
}

/** gRPC status and kms-error-code of a call expected to fail; status 14 when no call could be made. */
async function failure(call: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await call;
  } catch (err) {
    const se = err as grpc.ServiceError;
    return { status: se.code, code: String(se.metadata?.get("kms-error-code")[0] ?? "") };
  }
  throw new Error("expected the call to fail");
}

function metadataWith(authorization: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("authorization", authorization);
  return md;
}

/** A channel of its own, so clients with different certificates never share a connection. */
function tlsClient(port: number, ca: Buffer, cert?: Pem): grpc.Client {
  const creds = cert ? grpc.credentials.createSsl(ca, cert.key, cert.cert) : grpc.credentials.createSsl(ca);
  // Dial the IP, check the certificate's DNS name (an IP as TLS ServerName is deprecated in Node).
  return new grpc.Client(`127.0.0.1:${port}`, creds, { "grpc.use_local_subchannel_pool": 1, "grpc.ssl_target_name_override": "localhost" });
}

/**
 * Sends a gRPC health check over a bare node:http2 session. "answered" when
 * any response headers arrive; "failed" on a session/stream error or close.
 */
function healthOverHttp2(authority: string, options: http2.SecureClientSessionOptions = {}): Promise<"answered" | "failed" | "timeout"> {
  return new Promise((resolve) => {
    const session = http2.connect(authority, options);
    let settled = false;
    const done = (outcome: "answered" | "failed" | "timeout") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done("timeout"), 5000);
    session.on("error", () => done("failed"));
    session.on("close", () => done("failed"));
    const req = session.request({ ":method": "POST", ":path": HEALTH_PATH, "content-type": "application/grpc", te: "trailers" });
    req.on("response", () => done("answered"));
    req.on("error", () => done("failed"));
    req.end(Buffer.alloc(5)); // one empty, uncompressed message
  });
}

describe("mutual TLS on the HTTP/2 port", () => {
  let pki: Pki;
  let ts: TestServer;
  let sessions: Http2SessionManager;
  let admin: AdminClient;
  let paymentsUin: bigint;
  const clients: grpc.Client[] = [];
  const clientFor = (cert?: Pem) => {
    const c = tlsClient(ts.server.grpc.port, pki.ca, cert);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    pki = await makePki();
    ts = await startTestServer({ env: { KMS_TLS_CERT: pki.serverCertFile, KMS_TLS_KEY: pki.serverKeyFile, KMS_TLS_CLIENT_CA: pki.caFile } });
    const url = `https://127.0.0.1:${ts.server.grpc.port}`;
    sessions = new Http2SessionManager(url, undefined, { ca: pki.ca });
    admin = createClient(AdminService, createGrpcTransport({ baseUrl: url, sessionManager: sessions, interceptors: [bearer(ts.token)] }));

    // Root, by bearer token over TLS, sets up the principal the certificate names.
    const created = await admin.createPrincipal({ name: "svc-payments", description: "authenticates by client certificate" });
    paymentsUin = created.principal?.uin ?? 0n;
    expect(paymentsUin).toBeGreaterThan(0n);
    const document = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:CreateKey", "kms:Encrypt", "kms:Decrypt"], resource: ["*"] }] });
    await admin.createPolicy({ name: "payments-crypto", document });
    await admin.attachPolicy({ principalUin: paymentsUin, policyName: "payments-crypto" });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    sessions?.abort();
    await ts?.dispose();
    if (pki) await rm(pki.dir, { recursive: true, force: true });
  });

  it("a CA-issued certificate whose CN names a principal authenticates as it, within its policy", async () => {
    const c = clientFor(pki.payments);
    const key = await unary(c, KeyManagementService.method.createKey, { alias: "payments-mtls" });
    expect(key.keyId).toMatch(/^[0-9a-f-]{36}$/);
    const enc = await unary(c, KeyManagementService.method.encrypt, { keyId: key.keyId, plaintext: Buffer.from("card 4111") });
    const dec = await unary(c, KeyManagementService.method.decrypt, { ciphertextBlob: enc.ciphertextBlob });
    expect(Buffer.from(dec.plaintext).toString()).toBe("card 4111");
    // Not in the policy.
    expect(await failure(unary(c, KeyManagementService.method.listKeys, {}))).toEqual({ status: grpc.status.PERMISSION_DENIED, code: "UnauthorizedOperation" });
  });

  it("a CA-issued certificate whose CN names no principal is refused", async () => {
    const c = clientFor(pki.unknown);
    expect(await failure(unary(c, KeyManagementService.method.createKey, { alias: "nobody" }))).toEqual({
      status: grpc.status.UNAUTHENTICATED,
      code: "AuthFailure.InvalidAuthorization",
    });
  });

  it("a CA-issued certificate naming the root is refused: certificates authenticate sub-users only", async () => {
    const c = clientFor(pki.rootNamed);
    expect(await failure(unary(c, KeyManagementService.method.listKeys, {}))).toEqual({
      status: grpc.status.UNAUTHENTICATED,
      code: "AuthFailure.InvalidAuthorization",
    });
  });

  it("a certificate not from the CA never authenticates, even with a known CN", async () => {
    const c = clientFor(pki.selfSigned);
    const f = await failure(unary(c, KeyManagementService.method.createKey, { alias: "forged" }));
    // The listener requests but does not require certificates, so this is 16; a TLS-level refusal (14) would do too.
    if (f.status === grpc.status.UNAVAILABLE) return;
    expect(f).toEqual({ status: grpc.status.UNAUTHENTICATED, code: "AuthFailure.InvalidAuthorization" });
  });

  it("TLS without a certificate and without a token is refused", async () => {
    const c = clientFor();
    expect(await failure(unary(c, KeyManagementService.method.encrypt, { keyId: "x", plaintext: Buffer.from("x") }))).toEqual({
      status: grpc.status.UNAUTHENTICATED,
      code: "AuthFailure.InvalidAuthorization",
    });
  });

  it("the health check answers over TLS without credentials", async () => {
    expect(await rawUnary(clientFor(), HEALTH_PATH, Buffer.alloc(0))).toEqual(SERVING);
  });

  it("a plaintext h2c connection to the TLS port gets nowhere", async () => {
    // The same probe over TLS is answered, so "not answered" below is the transport's doing, not the probe's.
    expect(await healthOverHttp2(`https://127.0.0.1:${ts.server.grpc.port}`, { ca: pki.ca })).toBe("answered");
    expect(await healthOverHttp2(`http://127.0.0.1:${ts.server.grpc.port}`)).not.toBe("answered");
    const plain = new grpc.Client(`127.0.0.1:${ts.server.grpc.port}`, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
    clients.push(plain);
    const f = await failure(unary(plain, KeyManagementService.method.listKeys, {}, metadataWith(`Bearer ${ts.token}`)));
    expect(f.status).toBe(grpc.status.UNAVAILABLE);
  });

  it("the audit trail names the certificate as the credential of the principal's gRPC calls", async () => {
    const { events } = await admin.queryAuditEvents({ principalUin: paymentsUin });
    const summary = events.map((e) => ({ action: e.action, result: e.result }));
    expect(summary).toEqual([
      { action: "kms:CreateKey", result: "Success" },
      { action: "kms:Encrypt", result: "Success" },
      { action: "kms:Decrypt", result: "Success" },
      { action: "kms:ListKeys", result: "UnauthorizedOperation" },
    ]);
    for (const e of events) {
      expect(e.credential).toMatch(/^cert:[0-9a-f]{16}$/);
      expect(e.transport).toBe("grpc");
      expect(e.principalName).toBe("svc-payments");
    }
    // One certificate, one fingerprint.
    expect(new Set(events.map((e) => e.credential)).size).toBe(1);
    // Refused certificates are audited without a principal.
    const anonymous = await admin.queryAuditEvents({ result: "AuthFailure.InvalidAuthorization" });
    expect(anonymous.events.length).toBeGreaterThanOrEqual(3);
    for (const e of anonymous.events) expect(e.principalUin).toBe(0n);
  });
});

describe("credentials on a plain (h2c) server", () => {
  let ts: TestServer;
  let c: grpc.Client;

  beforeAll(async () => {
    ts = await startTestServer();
    c = new grpc.Client(`127.0.0.1:${ts.server.grpc.port}`, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  });
  afterAll(async () => {
    c?.close();
    await ts?.dispose();
  });

  it("the gRPC health check answers SERVING without credentials", async () => {
    expect(await rawUnary(c, HEALTH_PATH, Buffer.alloc(0))).toEqual(SERVING);
  });

  it("GET /healthz answers 200 without credentials", async () => {
    const res = await fetch(`${ts.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "SERVING" });
  });

  it("a KMS call needs credentials, and tells a bad token from a malformed header", async () => {
    const listKeys = (md?: grpc.Metadata) => failure(unary(c, KeyManagementService.method.listKeys, {}, md));
    expect(await listKeys()).toEqual({ status: grpc.status.UNAUTHENTICATED, code: "AuthFailure.InvalidAuthorization" });
    expect(await listKeys(metadataWith(`Bearer wrong-${"x".repeat(40)}`))).toEqual({ status: grpc.status.UNAUTHENTICATED, code: "AuthFailure.TokenFailure" });
    expect(await listKeys(metadataWith("Basic x"))).toEqual({ status: grpc.status.UNAUTHENTICATED, code: "AuthFailure.InvalidAuthorization" });
    // The same call with the root token goes through: the refusals above were about credentials only.
    const ok = await unary(c, KeyManagementService.method.listKeys, {}, metadataWith(`Bearer ${ts.token}`));
    expect(ok.totalCount).toBe(0);
  });

  it("Connect JSON over HTTP/1.1 without credentials answers 401 with the API code", async () => {
    const res = await fetch(`${ts.httpUrl}/kms.v1.KeyManagementService/ListKeys`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("kms-error-code")).toBe("AuthFailure.InvalidAuthorization");
    const body = (await res.json()) as { code?: unknown; message?: unknown };
    expect(body.code).toBe("unauthenticated");
    expect(String(body.message)).toMatch(/no credentials/);
  });
});
