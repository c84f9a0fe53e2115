/**
 * The console's only way to the service: the generated connect-es clients over
 * the Connect protocol (binary), same origin, with the caller's bearer token.
 * Whatever the API accepts or refuses, the console accepts or refuses, with the
 * API's own error code.
 */
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { BackupService } from "../../gen/kms/v1/backup_pb.js";
import { DataKeyService } from "../../gen/kms/v1/datakeys_pb.js";
import { ErrorInfoSchema, KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { MetricsService } from "../../gen/kms/v1/metrics_pb.js";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { TrustService } from "../../gen/kms/v1/trust_pb.js";
import { KeyVersionService } from "../../gen/kms/v1/versions_pb.js";
import { WhiteBoxKeyService } from "../../gen/kms/v1/whitebox_pb.js";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";

export interface Api {
  kms: Client<typeof KeyManagementService>;
  versions: Client<typeof KeyVersionService>;
  admin: Client<typeof AdminService>;
  ssm: Client<typeof SecretsManagerService>;
  whitebox: Client<typeof WhiteBoxKeyService>;
  trust: Client<typeof TrustService>;
  backup: Client<typeof BackupService>;
  metrics: Client<typeof MetricsService>;
  datakeys: Client<typeof DataKeyService>;
  operator: Client<typeof OperatorService>;
}

/** A refused or failed call as the console shows it. */
export interface ApiFailure {
  /** The API 3.0 code, e.g. "UnauthorizedOperation". */
  code: string;
  message: string;
  requestId: string;
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** Never sends cookies or a referrer: the token in the header is the only credential. */
const plainFetch: typeof fetch = (input, init) => fetch(input, { ...init, credentials: "omit", referrerPolicy: "no-referrer", cache: "no-store" });

export function createApi(token: string, baseUrl = location.origin): Api {
  const transport = createConnectTransport({ baseUrl, useBinaryFormat: true, interceptors: [bearer(token)], fetch: plainFetch });
  return {
    kms: createClient(KeyManagementService, transport),
    versions: createClient(KeyVersionService, transport),
    admin: createClient(AdminService, transport),
    ssm: createClient(SecretsManagerService, transport),
    whitebox: createClient(WhiteBoxKeyService, transport),
    trust: createClient(TrustService, transport),
    backup: createClient(BackupService, transport),
    metrics: createClient(MetricsService, transport),
    datakeys: createClient(DataKeyService, transport),
    operator: createClient(OperatorService, transport),
  };
}

export function failureOf(err: unknown): ApiFailure {
  const ce = ConnectError.from(err);
  const info = ce.findDetails(ErrorInfoSchema)[0];
  const code = info?.code || ce.metadata.get("kms-error-code") || (ce.code === Code.Unknown && err instanceof TypeError ? "NetworkError" : Code[ce.code]);
  return { code: code ?? "Unknown", message: ce.rawMessage, requestId: info?.requestId || ce.metadata.get("kms-request-id") || "" };
}

/** Credentials the service refuses as such (as opposed to a call the credentials may not make). */
export function isAuthFailure(f: ApiFailure): boolean {
  return f.code.startsWith("AuthFailure");
}
