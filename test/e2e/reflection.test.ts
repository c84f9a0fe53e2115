/**
 * The gRPC ecosystem through the real server: server reflection (v1 and
 * v1alpha) as buf curl, grpc-js-reflection-client and a connect-es client use
 * it, and the standard health service (Check, List, Watch through shutdown).
 */
import { execFile } from "node:child_process";
import { connect, type ClientHttp2Session } from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { GrpcReflection } from "grpc-js-reflection-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status, HealthCheckRequestSchema, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection, type ServerReflectionRequest, type ServerReflectionResponse } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { adminClient, bearer } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let sessions: Http2SessionManager;

beforeAll(async () => {
  ts = await startTestServer();
  sessions = new Http2SessionManager(ts.grpcUrl);
});
afterAll(async () => {
  sessions.abort();
  await ts.dispose();
});

function buf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("npx", ["buf", "curl", "--protocol", "grpc", ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

type Request = Omit<ServerReflectionRequest, "$typeName">;

/** One reflection stream over connect-es (gRPC protocol): sends the requests, collects every answer. */
async function reflect(requests: Partial<Request>[], opts: { token?: string | null; alpha?: boolean } = {}): Promise<ServerReflectionResponse[]> {
  const token = opts.token === undefined ? ts.token : opts.token;
  const transport = createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: token ? [bearer(token)] : [] });
  // v1alpha is v1 on the wire: the v1 client's messages go to the v1alpha path through a service of that name.
  const service = opts.alpha ? { ...ServerReflection, typeName: ServerReflectionV1Alpha.typeName } : ServerReflection;
  const client = createClient(service as typeof ServerReflection, transport);
  async function* input() {
    for (const r of requests) yield { host: "", ...r } as ServerReflectionRequest;
  }
  const out: ServerReflectionResponse[] = [];
  for await (const res of client.serverReflectionInfo(input())) out.push(res);
  return out;
}

const fileNames = (r: ServerReflectionResponse) =>
  r.messageResponse.case === "fileDescriptorResponse" ? r.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name) : [];

describe("server reflection", () => {
  it("buf curl lists every service and method, and calls a method, with no proto files", async () => {
    const auth = `authorization: Bearer ${ts.token}`;
    const services = await buf(["--list-services", "--reflect-header", auth, ts.grpcUrl]);
    expect(services.code, services.stderr).toBe(0);
    // Every service the server registers (as its health service lists them), and the built-in ones.
    const registered = Object.keys((await createClient(Health, createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions })).list({})).statuses).filter((s) => s !== "");
    expect(services.stdout.trim().split("\n")).toEqual(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", ...registered].sort());
    expect(registered).toEqual(expect.arrayContaining(["kms.v1.AdminService", "kms.v1.BackupService", "kms.v1.KeyManagementService", "kms.v1.KeyVersionService", "ssm.v1.SecretsManagerService", "kms.v1.WhiteBoxKeyService"]));
    const methods = await buf(["--list-methods", "--reflect-header", auth, ts.grpcUrl]);
    expect(methods.stdout).toContain("kms.v1.KeyManagementService/Encrypt\n");
    expect(methods.stdout).toContain("kms.v1.AdminService/CreateToken\n");
    expect(methods.stdout.split("\n").filter((l) => l.startsWith("kms.v1.KeyManagementService/")).length).toBe(KeyManagementService.methods.length);

    for (const protocol of ["grpc-v1", "grpc-v1alpha"]) {
      const created = await buf(["--reflect-protocol", protocol, "-H", auth, "--reflect-header", "*", "-d", `{"Alias":"by-reflection-${protocol}","KeyUsage":"KEY_USAGE_ENCRYPT_DECRYPT"}`, `${ts.grpcUrl}/kms.v1.KeyManagementService/CreateKey`]);
      expect(created.code, created.stderr).toBe(0);
      const key = JSON.parse(created.stdout) as { KeyId: string; KeyUsage: string };
      expect(key.KeyUsage).toBe("KEY_USAGE_ENCRYPT_DECRYPT");
      const encrypted = await buf(["-H", auth, "--reflect-header", "*", "-d", JSON.stringify({ KeyId: key.KeyId, Plaintext: Buffer.from("hello").toString("base64") }), `${ts.grpcUrl}/kms.v1.KeyManagementService/Encrypt`]);
      expect(encrypted.code, encrypted.stderr).toBe(0);
      expect(JSON.parse(encrypted.stdout)).toHaveProperty("CiphertextBlob");
    }
  }, 120_000);

  it("buf curl without credentials is refused (UNAUTHENTICATED, which buf reports as not authenticated) and lists nothing", async () => {
    const r = await buf(["--list-services", ts.grpcUrl]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not authenticated/);
    expect(r.stdout).toBe("");
  }, 60_000);

  it("grpc-js-reflection-client lists services, builds a client from the descriptors and calls Encrypt", async () => {
    const target = `127.0.0.1:${ts.server.grpc.port}`;
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${ts.token}`);
    for (const version of ["v1", "v1alpha"]) {
      const reflection = new GrpcReflection(target, grpc.credentials.createInsecure(), {}, version);
      expect(await reflection.listServices("*", md)).toContain("kms.v1.KeyManagementService");
      const methods = await reflection.listMethods("kms.v1.KeyManagementService", md);
      expect(methods.map((m) => m.name)).toContain("Encrypt");
      const descriptor = await reflection.getDescriptorBySymbol("kms.v1.KeyManagementService", md);
      const pkg = descriptor.getPackageObject({ keepCase: true, enums: String, longs: String }) as unknown as {
        kms: { v1: { KeyManagementService: new (addr: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, Function> } };
      };
      const client = new pkg.kms.v1.KeyManagementService(target, grpc.credentials.createInsecure());
      const call = (method: string, req: object) =>
        new Promise<Record<string, unknown>>((resolve, reject) => client[method]!.call(client, req, md, (err: Error | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res))));
      const key = await call("CreateKey", { alias: `grpc-js-${version}` });
      const enc = await call("Encrypt", { key_id: key.key_id, plaintext: Buffer.from("hi") });
      const dec = await call("Decrypt", { ciphertext_blob: enc.ciphertext_blob });
      expect(Buffer.from(dec.plaintext as Uint8Array).toString()).toBe("hi");
      client.close();
    }
  });

  it("answers each request of one stream in order: files with their dependencies once, symbols of every kind", async () => {
    const [byFile, again, method, field, enumValue, nested, missing] = await reflect([
      { messageRequest: { case: "fileByFilename", value: "kms/v1/kms.proto" } },
      { messageRequest: { case: "fileByFilename", value: "kms/v1/kms.proto" } },
      { messageRequest: { case: "fileContainingSymbol", value: "kms.v1.KeyManagementService.Encrypt" } },
      { messageRequest: { case: "fileContainingSymbol", value: "kms.v1.EncryptRequest.plaintext" } },
      { messageRequest: { case: "fileContainingSymbol", value: "kms.v1.KEY_STATE_ENABLED" } },
      { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.HealthCheckResponse.ServingStatus" } },
      { messageRequest: { case: "fileContainingSymbol", value: "kms.v1.NoSuchThing" } },
    ]);
    expect(fileNames(byFile!)[0]).toBe("kms/v1/kms.proto");
    expect(fileNames(again!)).toEqual(["kms/v1/kms.proto"]);
    expect(fileNames(method!)).toEqual(["kms/v1/kms.proto"]);
    expect(fileNames(field!)).toEqual(["kms/v1/kms.proto"]);
    expect(fileNames(enumValue!)).toEqual(["kms/v1/kms.proto"]);
    expect(fileNames(nested!)).toEqual(["grpc/health/v1/health.proto"]);
    expect(missing!.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
    // The descriptor served is the one the server decodes with.
    const served = fromBinary(FileDescriptorProtoSchema, (byFile!.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto[0]!);
    expect(served.service.map((s) => s.name)).toContain("KeyManagementService");
    expect(served.messageType.find((m) => m.name === "EncryptRequest")?.field.find((f) => f.name === "key_id")?.jsonName).toBe("KeyId");
    expect(byFile!.originalRequest?.messageRequest).toEqual({ case: "fileByFilename", value: "kms/v1/kms.proto" });
  });

  it("answers extension questions with the standard's errors, over v1alpha too", async () => {
    for (const alpha of [false, true]) {
      const [list, numbers, unknownType, extension, notAFile] = await reflect(
        [
          { messageRequest: { case: "listServices", value: "" } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "kms.v1.EncryptRequest" } },
          { messageRequest: { case: "allExtensionNumbersOfType", value: "kms.v1.Nothing" } },
          { messageRequest: { case: "fileContainingExtension", value: { $typeName: "grpc.reflection.v1.ExtensionRequest", containingType: "kms.v1.EncryptRequest", extensionNumber: 1000 } } },
          { messageRequest: { case: "fileByFilename", value: "etc/passwd" } },
        ],
        { alpha },
      );
      expect(list!.messageResponse.case).toBe("listServicesResponse");
      expect(numbers!.messageResponse).toMatchObject({ case: "allExtensionNumbersResponse", value: { baseTypeName: "kms.v1.EncryptRequest", extensionNumber: [] } });
      expect(unknownType!.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
      expect(extension!.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
      expect(notAFile!.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
    }
  });

  it("ends the stream with INVALID_ARGUMENT for a request that asks nothing", async () => {
    const err = await reflect([{ messageRequest: { case: "listServices", value: "" } }, { messageRequest: { case: undefined } }]).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it("refuses callers without valid credentials before reading a request, and audits the refusal", async () => {
    for (const token of [null, "no-such-token-0123456789abcdefghijklmnop"]) {
      const err = await reflect([{ messageRequest: { case: "listServices", value: "" } }], { token }).catch((e: unknown) => ConnectError.from(e));
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    }
    await ts.server.audit.flush();
    const admin = adminClient(ts);
    const events = await admin.client.queryAuditEvents({ action: "reflection:ServerReflectionInfo", limit: 10 });
    admin.close();
    expect(new Set(events.events.map((e) => e.result))).toEqual(new Set(["AuthFailure.InvalidAuthorization", "AuthFailure.TokenFailure"]));
  });

  it("is open to any authenticated sub-user, without any policy", async () => {
    const admin = adminClient(ts);
    const p = await admin.client.createPrincipal({ name: "reflector" });
    const t = await admin.client.createToken({ principalUin: p.principal!.uin });
    admin.close();
    const [list] = await reflect([{ messageRequest: { case: "listServices", value: "" } }], { token: t.secret });
    expect(list!.messageResponse.case).toBe("listServicesResponse");
  });
});

describe("health", () => {
  function h2(): ClientHttp2Session {
    return connect(ts.grpcUrl);
  }

  it("Check: SERVING for the server and each service, NOT_FOUND for others, no credentials needed", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions }));
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: "kms.v1.KeyManagementService" })).status).toBe(Status.SERVING);
    const err = await client.check({ service: "kms.v1.Nope" }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.NotFound);
    const list = await client.list({});
    expect(Object.keys(list.statuses).sort()).toEqual(expect.arrayContaining(["", "kms.v1.AdminService", "kms.v1.BackupService", "kms.v1.KeyManagementService", "kms.v1.KeyVersionService", "kms.v1.BatchCryptoService", "ssm.v1.SecretsManagerService"]));
    expect(Object.values(list.statuses).every((s) => s.status === Status.SERVING)).toBe(true);
  });

  it("Check refuses a malformed request with INVALID_ARGUMENT", async () => {
    const session = h2();
    const status = await new Promise<string>((resolve) => {
      const req = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers" });
      let head: Record<string, unknown> = {};
      req.on("response", (h) => (head = h));
      req.on("trailers", (t) => (head = { ...head, ...t }));
      req.on("data", () => undefined);
      req.on("end", () => resolve(String(head["grpc-status"])));
      const body = Buffer.from([0x0a, 0x05, 0x61]); // a string field that claims 5 bytes and has 1
      const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
      req.end(framed);
    });
    session.close();
    expect(status).toBe("3");
  });

  it("Watch streams SERVING, then NOT_SERVING when the server drains, then ends UNAVAILABLE", async () => {
    const own = await startTestServer();
    const session = connect(own.grpcUrl);
    const seen: number[] = [];
    const unknown: number[] = [];
    const watch = (service: string, into: number[]) =>
      new Promise<string>((resolve) => {
        const req = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Watch", "content-type": "application/grpc", te: "trailers" });
        let buffered = Buffer.alloc(0);
        let trailers: Record<string, unknown> = {};
        req.on("response", (h) => (trailers = h));
        req.on("trailers", (t) => (trailers = { ...trailers, ...t }));
        req.on("data", (c: Buffer) => {
          buffered = Buffer.concat([buffered, c]);
          while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
            const len = buffered.readUInt32BE(1);
            into.push(fromBinary(HealthCheckResponseSchema, buffered.subarray(5, 5 + len)).status);
            buffered = buffered.subarray(5 + len);
          }
        });
        req.on("end", () => resolve(String(trailers["grpc-status"])));
        req.on("error", () => resolve("error"));
        const msg = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service }));
        req.end(Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]));
      });
    const ended = watch("", seen);
    const endedUnknown = watch("kms.v1.Nope", unknown);
    await expect.poll(() => seen.length).toBe(1);
    await expect.poll(() => unknown.length).toBe(1);
    expect(seen).toEqual([Status.SERVING]);
    expect(unknown).toEqual([Status.SERVICE_UNKNOWN]);
    const stopping = own.dispose();
    expect(await ended).toBe("14");
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
    expect(await endedUnknown).toBe("14");
    expect(unknown).toEqual([Status.SERVICE_UNKNOWN]);
    await stopping;
    session.destroy();
  });
});
