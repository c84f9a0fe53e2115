/**
 * Clients as users have them: connect-es over the gRPC protocol (h2c), over
 * Connect JSON (HTTP/1.1), and @grpc/grpc-js with @grpc/proto-loader reading
 * proto/ directly, as a client in another stack would.
 */
import { promisify } from "node:util";
import { createClient, ConnectError, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ErrorInfoSchema, KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../../gen/kms/v1/versions_pb.js";

export type KmsClient = Client<typeof KeyManagementService>;

export interface ConnectClients {
  grpc: KmsClient;
  versions: Client<typeof KeyVersionService>;
  connectJson: KmsClient;
  close(): void;
}

export function connectClients(grpcUrl: string, httpUrl: string): ConnectClients {
  const sessions = new Http2SessionManager(grpcUrl);
  const grpcTransport = createGrpcTransport({ baseUrl: grpcUrl, sessionManager: sessions });
  const jsonTransport = createConnectTransport({ baseUrl: httpUrl, httpVersion: "1.1", useBinaryFormat: false });
  return {
    grpc: createClient(KeyManagementService, grpcTransport),
    versions: createClient(KeyVersionService, grpcTransport),
    connectJson: createClient(KeyManagementService, jsonTransport),
    close: () => sessions.abort(),
  };
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

const packageDefinition = protoLoader.loadSync(["proto/kms/v1/kms.proto", "proto/kms/v1/versions.proto", "proto/kms/v1/admin.proto"], {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
});

type GrpcJsServiceClient = grpc.Client & Record<string, (req: unknown, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void) => void>;

type ServiceName = "KeyManagementService" | "KeyVersionService" | "AdminService";

export function grpcJsClient(port: number, service: ServiceName = "KeyManagementService"): GrpcJsClient {
  const pkg = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    kms: { v1: Record<ServiceName, new (addr: string, creds: grpc.ChannelCredentials) => GrpcJsServiceClient> };
  };
  const client = new pkg.kms.v1[service](`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    call(method, req = {}) {
      const fn = client[method];
      if (typeof fn !== "function") throw new Error(`no method ${method}`);
      return promisify(fn.bind(client))(req) as Promise<Record<string, unknown>>;
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
