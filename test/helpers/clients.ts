/**
 * Clients as users have them: connect-es over the gRPC protocol (h2c), over
 * Connect JSON (HTTP/1.1), and @grpc/grpc-js with @grpc/proto-loader reading
 * proto/ directly, as a client in another stack would.
 */
import { createClient, ConnectError, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ErrorInfoSchema, KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../../gen/kms/v1/versions_pb.js";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";

export type KmsClient = Client<typeof KeyManagementService>;

export interface ConnectClients {
  grpc: KmsClient;
  versions: Client<typeof KeyVersionService>;
  connectJson: KmsClient;
  close(): void;
}

/** Where a server listens and the bearer token to call it with. */
export interface Endpoint {
  grpcUrl: string;
  httpUrl: string;
  token: string;
}

/** Sends the bearer token on every call, as a service-to-service client does. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

export function connectClients({ grpcUrl, httpUrl, token }: Endpoint): ConnectClients {
  const sessions = new Http2SessionManager(grpcUrl);
  const interceptors = [bearer(token)];
  const grpcTransport = createGrpcTransport({ baseUrl: grpcUrl, sessionManager: sessions, interceptors });
  const jsonTransport = createConnectTransport({ baseUrl: httpUrl, httpVersion: "1.1", useBinaryFormat: false, interceptors });
  return {
    grpc: createClient(KeyManagementService, grpcTransport),
    versions: createClient(KeyVersionService, grpcTransport),
    connectJson: createClient(KeyManagementService, jsonTransport),
    close: () => sessions.abort(),
  };
}

export type AdminClient = Client<typeof AdminService>;

/** AdminService over gRPC as the principal whose token is given. */
export function adminClient({ grpcUrl, token }: Pick<Endpoint, "grpcUrl" | "token">): { client: AdminClient; close(): void } {
  const sessions = new Http2SessionManager(grpcUrl);
  return { client: createClient(AdminService, createGrpcTransport({ baseUrl: grpcUrl, sessionManager: sessions, interceptors: [bearer(token)] })), close: () => sessions.abort() };
}

export type SsmClient = Client<typeof SecretsManagerService>;

/** SecretsManagerService over gRPC (connect-es) as the principal whose token is given. */
export function ssmClient({ grpcUrl, token }: Pick<Endpoint, "grpcUrl" | "token">): { client: SsmClient; close(): void } {
  const sessions = new Http2SessionManager(grpcUrl);
  return { client: createClient(SecretsManagerService, createGrpcTransport({ baseUrl: grpcUrl, sessionManager: sessions, interceptors: [bearer(token)] })), close: () => sessions.abort() };
}

/** The API 3.0 code of a failed call, from the ErrorInfo detail. */
export async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const ce = ConnectError.from(err);
    const info = ce.findDetails(ErrorInfoSchema)[0];
    if (!info) throw new Error(`no ErrorInfo detail on: ${ce.message}`);
    return info.code;
  }
  throw new Error("expected the call to fail");
}

/** A generic unary grpc-js method: (request) → Promise<response>. */
export type GrpcJsCall = (req: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface GrpcJsClient {
  call(method: string, req?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

const packageDefinition = protoLoader.loadSync(["proto/kms/v1/kms.proto", "proto/kms/v1/versions.proto", "proto/kms/v1/admin.proto", "proto/ssm/v1/ssm.proto"], {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
});

type GrpcJsServiceClient = grpc.Client & Record<string, (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void) => void>;

type ServiceName = "KeyManagementService" | "KeyVersionService" | "AdminService" | "SecretsManagerService";

type ServiceCtor = new (addr: string, creds: grpc.ChannelCredentials) => GrpcJsServiceClient;

/** A grpc-js client that sends `token` as "authorization: Bearer" metadata on every call. */
export function grpcJsClient(port: number, token: string, service: ServiceName = "KeyManagementService"): GrpcJsClient {
  const pkg = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    kms: { v1: Record<Exclude<ServiceName, "SecretsManagerService">, ServiceCtor> };
    ssm: { v1: Record<"SecretsManagerService", ServiceCtor> };
  };
  const Ctor = service === "SecretsManagerService" ? pkg.ssm.v1[service] : pkg.kms.v1[service];
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    call(method, req = {}) {
      const fn = client[method];
      if (typeof fn !== "function") throw new Error(`no method ${method}`);
      const md = new grpc.Metadata();
      md.set("authorization", `Bearer ${token}`);
      return new Promise((resolve, reject) => fn.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res))));
    },
    close: () => client.close(),
  };
}

/** For grpc-js: the gRPC status and the API 3.0 code (kms-error-code trailer) of a failed call. */
export async function grpcJsError(call: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await call;
  } catch (err) {
    const se = err as grpc.ServiceError;
    return { status: se.code, code: String(se.metadata.get("kms-error-code")[0] ?? "") };
  }
  throw new Error("expected the call to fail");
}
