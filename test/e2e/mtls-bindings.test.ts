/**
 * Client certificates bound to principals (finding 12), over real TLS on the
 * HTTP/2 port with a CA and a revocation list made by the openssl CLI:
 *  - a certificate of a deleted principal does not authenticate as a new one
 *    of the same name: a CN is accepted only from a certificate issued after
 *    the name was last deleted;
 *  - RegisterCertificate pins a principal to its registered certificates
 *    (by SHA-256 fingerprint): its CN alone no longer suffices, and deleting
 *    the registration revokes that certificate;
 *  - a registered certificate authenticates a principal of any account,
 *    whatever its subject says; an unregistered one only by CN in the
 *    default account;
 *  - a certificate in KMS_TLS_CRL is refused while its siblings work.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { create, fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { ManualClock } from "../../src/clock.js";
import { bearer, codeOf } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);

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

/** A minimal `openssl ca` setup: it issues with chosen validity dates and keeps the index a CRL is made from. */
const CA_CONFIG = `[ca]
default_ca = kms_test
[kms_test]
dir = .
database = index.txt
new_certs_dir = .
certificate = ca.pem
private_key = ca.key
serial = serial
default_md = sha256
default_crl_days = 7
policy = any
unique_subject = no
[any]
commonName = supplied
`;

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
const HOUR = 3_600_000;

interface Pem {
  key: Buffer;
  cert: Buffer;
}

/** openssl's YYMMDDHHMMSSZ. */
function asn1Time(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
}

let dir: string;
async function openssl(args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

/** A client certificate for `cn`, valid from `notBefore`, issued by the CA. */
async function issue(name: string, cn: string, notBefore: number): Promise<Pem> {
  await openssl(["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  await openssl(["ca", "-batch", "-config", "ca.cnf", "-notext", "-in", `${name}.csr`, "-out", `${name}.pem`, "-startdate", asn1Time(notBefore), "-enddate", asn1Time(Date.now() + 24 * HOUR), "-extfile", "ext.cnf", "-extensions", "client"]);
  return { key: await readFile(join(dir, `${name}.key`)), cert: await readFile(join(dir, `${name}.pem`)) };
}

function unary<I extends DescMessage, O extends DescMessage>(client: grpc.Client, method: DescMethodUnary<I, O>, req: MessageInitShape<I>): Promise<MessageShape<O>> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      `/${method.parent.typeName}/${method.name}`,
      (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, b),
      create(method.input, req),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err, res) => (err ? reject(err) : res ? resolve(res) : reject(new Error("no response"))),
    );
  });
}

/** "ok", or the API code of the failure ("tls" when the TLS layer refused outright). */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (err) {
    const se = err as grpc.ServiceError;
    if (se.code === grpc.status.UNAVAILABLE) return "tls";
    return String(se.metadata?.get("kms-error-code")[0] ?? se.code);
  }
}

let ts: TestServer;
let ca: Buffer;
let sessions: Http2SessionManager;
let admin: Client<typeof AdminService>;
let operator: Client<typeof OperatorService>;
const clients: grpc.Client[] = [];
const now = Date.now();
const certs: Record<string, Pem> = {};

/** ListKeys over a channel of its own presenting `cert`. */
function listKeysWith(cert: Pem): Promise<MessageShape<typeof KeyManagementService.method.listKeys.output>> {
  const c = new grpc.Client(`127.0.0.1:${ts.server.grpc.port}`, grpc.credentials.createSsl(ca, cert.key, cert.cert), { "grpc.use_local_subchannel_pool": 1, "grpc.ssl_target_name_override": "localhost" });
  clients.push(c);
  return unary(c, KeyManagementService.method.listKeys, {});
}

async function principalWithListKeys(client: Client<typeof AdminService>, name: string): Promise<bigint> {
  const uin = (await client.createPrincipal({ name })).principal!.uin;
  const policies = (await client.listPolicies({})).policies.map((p) => p.name);
  if (!policies.includes("list-keys")) await client.createPolicy({ name: "list-keys", document: JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:ListKeys"], resource: ["*"] }] }) });
  await client.attachPolicy({ principalUin: uin, policyName: "list-keys" });
  return uin;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kms-mtls-bindings-"));
  await writeFile(join(dir, "ext.cnf"), EXTENSIONS);
  await writeFile(join(dir, "ca.cnf"), CA_CONFIG);
  await writeFile(join(dir, "index.txt"), "");
  await writeFile(join(dir, "serial"), "1000\n");
  await openssl(["req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=kms-bindings-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  await openssl(["req", "-new", ...EC, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  await openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2", "-days", "1", "-out", "server.pem", "-extfile", "ext.cnf", "-extensions", "server"]);
  ca = await readFile(join(dir, "ca.pem"));
  // Issued an hour ago: before the principal it names is deleted and made again.
  certs.rotatedOld = await issue("rotated-old", "svc-rotated", now - HOUR);
  certs.pinnedA = await issue("pinned-a", "svc-pinned", now - HOUR);
  certs.pinnedB = await issue("pinned-b", "svc-pinned", now - HOUR);
  certs.tenant = await issue("tenant", "svc-ok", now - HOUR);
  certs.ok = await issue("ok", "svc-ok", now - HOUR);
  certs.revoked = await issue("revoked", "svc-revoked", now - HOUR);
  certs.bByCn = await issue("b-by-cn", "b-app", now - HOUR);
  await openssl(["ca", "-config", "ca.cnf", "-revoke", "revoked.pem"]);
  await openssl(["ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem"]);

  // The domain clock says the deletion below happens ten minutes ago; certificates are checked against real time by TLS.
  ts = await startTestServer({
    clock: new ManualClock(now - 10 * 60_000),
    env: { KMS_TLS_CERT: join(dir, "server.pem"), KMS_TLS_KEY: join(dir, "server.key"), KMS_TLS_CLIENT_CA: join(dir, "ca.pem"), KMS_TLS_CRL: join(dir, "crl.pem") },
  });
  const url = `https://127.0.0.1:${ts.server.grpc.port}`;
  sessions = new Http2SessionManager(url, undefined, { ca });
  const transport = createGrpcTransport({ baseUrl: url, sessionManager: sessions, interceptors: [bearer(ts.token)] });
  admin = createClient(AdminService, transport);
  operator = createClient(OperatorService, transport);
  for (const name of ["svc-rotated", "svc-pinned", "svc-ok", "svc-revoked"]) await principalWithListKeys(admin, name);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  sessions?.abort();
  await ts?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("client certificates bound to principals", () => {
  it("a deleted principal's certificate does not authenticate a new principal of the same name", async () => {
    expect(await outcome(listKeysWith(certs.rotatedOld!))).toBe("ok");
    const old = (await admin.listPrincipals({})).principals.find((p) => p.name === "svc-rotated")!;
    await admin.deletePrincipal({ uin: old.uin });
    const fresh = await principalWithListKeys(admin, "svc-rotated");
    expect(fresh).not.toBe(old.uin);
    expect(await outcome(listKeysWith(certs.rotatedOld!))).toBe("AuthFailure.InvalidAuthorization");
    // A certificate issued after the deletion is the new principal's.
    const rotatedNew = await issue("rotated-new", "svc-rotated", now - 5 * 60_000);
    expect(await outcome(listKeysWith(rotatedNew))).toBe("ok");
    const { events } = await admin.queryAuditEvents({ principalUin: fresh, action: "kms:ListKeys" });
    expect(events.map((e) => e.result)).toEqual(["Success"]);
  });

  it("a registered certificate pins its principal: its CN no longer suffices, and deleting the registration revokes it", async () => {
    expect(await outcome(listKeysWith(certs.pinnedA!))).toBe("ok");
    expect(await outcome(listKeysWith(certs.pinnedB!))).toBe("ok");
    const uin = (await admin.listPrincipals({})).principals.find((p) => p.name === "svc-pinned")!.uin;
    const registered = (await admin.registerCertificate({ principalUin: uin, certificatePem: certs.pinnedA!.cert.toString(), description: "the only one" })).certificate!;
    expect(registered).toMatchObject({ principalUin: uin, subject: "svc-pinned", description: "the only one" });
    expect(registered.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(await outcome(listKeysWith(certs.pinnedA!))).toBe("ok");
    expect(await outcome(listKeysWith(certs.pinnedB!))).toBe("AuthFailure.InvalidAuthorization");
    expect((await admin.listCertificates({ principalUin: uin })).certificates.map((c) => c.fingerprint)).toEqual([registered.fingerprint]);
    await admin.deleteCertificate({ fingerprint: registered.fingerprint });
    expect(await outcome(listKeysWith(certs.pinnedA!))).toBe("AuthFailure.InvalidAuthorization");
    expect(await outcome(listKeysWith(certs.pinnedB!))).toBe("AuthFailure.InvalidAuthorization");
  });

  it("a registered certificate authenticates another account's principal, whatever its CN; an unregistered one never leaves the default account", async () => {
    const b = await operator.createAccount({ name: "mtls-tenant" });
    const bSessions = new Http2SessionManager(`https://127.0.0.1:${ts.server.grpc.port}`, undefined, { ca });
    const bTransport = createGrpcTransport({ baseUrl: `https://127.0.0.1:${ts.server.grpc.port}`, sessionManager: bSessions, interceptors: [bearer(b.rootToken)] });
    const bAdmin = createClient(AdminService, bTransport);
    await createClient(KeyManagementService, bTransport).createKey({ alias: "tenant-key" });
    const bApp = await principalWithListKeys(bAdmin, "b-app");
    // CN=b-app names no one in the default account.
    expect(await outcome(listKeysWith(certs.bByCn!))).toBe("AuthFailure.InvalidAuthorization");
    // Registered by B for its principal: a certificate whose CN names a default-account sub-user is B's now.
    await bAdmin.registerCertificate({ principalUin: bApp, certificatePem: certs.tenant!.cert.toString() });
    const seen = await listKeysWith(certs.tenant!);
    expect(seen.totalCount).toBe(1);
    const events = (await bAdmin.queryAuditEvents({ action: "kms:ListKeys" })).events;
    expect(events.at(-1)).toMatchObject({ principalName: "b-app", accountUin: b.account!.uin, result: "Success" });
    // Its sibling with the same CN still authenticates the default account's svc-ok by name.
    expect(await outcome(listKeysWith(certs.ok!))).toBe("ok");
    // B cannot register for A's principals, nor A's certificate twice, nor for a root, nor anything but one certificate.
    const aUin = (await admin.listPrincipals({})).principals.find((p) => p.name === "svc-ok")!.uin;
    expect(await codeOf(bAdmin.registerCertificate({ principalUin: aUin, certificatePem: certs.ok!.cert.toString() }))).toBe("ResourceNotFound");
    expect(await codeOf(admin.registerCertificate({ principalUin: aUin, certificatePem: certs.tenant!.cert.toString() }))).toBe("ResourceInUse");
    expect(await codeOf(bAdmin.registerCertificate({ principalUin: 0n, certificatePem: certs.ok!.cert.toString() }))).toBe("UnsupportedOperation");
    expect(await codeOf(admin.registerCertificate({ principalUin: aUin, certificatePem: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n" }))).toBe("InvalidParameterValue");
    expect(await codeOf(admin.registerCertificate({ principalUin: aUin, certificatePem: `${certs.ok!.cert}${certs.revoked!.cert}` }))).toBe("InvalidParameterValue");
    expect(await codeOf(admin.registerCertificate({ principalUin: aUin, certificatePem: "" }))).toBe("MissingParameter");
    // A's listing shows none of B's registrations.
    expect((await admin.listCertificates({})).certificates).toEqual([]);
    bSessions.abort();
  });

  it("a certificate in the revocation list (KMS_TLS_CRL) is refused; its CA's other certificates are not", async () => {
    expect(["AuthFailure.InvalidAuthorization", "tls"]).toContain(await outcome(listKeysWith(certs.revoked!)));
    expect(await outcome(listKeysWith(certs.ok!))).toBe("ok");
  });
});
