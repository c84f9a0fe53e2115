/** gRPC clients (connect-es) with bounded deadlines, and a uniform view of an answer: ok, or an API 3.0 code. */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../../gen/kms/v1/kms_pb.js";
import { connectClients, type ConnectClients, type KmsClient } from "../../helpers/clients.js";
import type { KmsProcess } from "./server.js";

export type { KmsClient };

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: string; grpc: Code; message: string; transport: boolean };

/** Deadline of every call the harness makes. */
export const CALL = { timeoutMs: 15_000 } as const;

/** Awaits a call; an error becomes its API 3.0 code (ErrorInfo), or `transport:<gRPC code>` when no server answered with one. */
export async function outcome<T>(call: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call };
  } catch (err) {
    const ce = ConnectError.from(err);
    const info = ce.findDetails(ErrorInfoSchema)[0];
    if (info) return { ok: false, code: info.code, grpc: ce.code, message: ce.rawMessage, transport: false };
    return { ok: false, code: `transport:${Code[ce.code] ?? ce.code}`, grpc: ce.code, message: ce.rawMessage, transport: true };
  }
}

/** connect-es clients of a server process, as its root. */
export function clientsFor(server: KmsProcess): ConnectClients {
  return connectClients({ grpcUrl: server.grpcUrl, httpUrl: server.httpUrl, token: server.identity.token });
}

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
