/**
 * The standard gRPC health service (grpc.health.v1.Health, proto in
 * proto/grpc/health/v1/), answered without credentials as load balancers and
 * orchestrators call it: the server as a whole ("") and each service it
 * serves are SERVING until shutdown starts, then NOT_SERVING. `Check` answers
 * NOT_FOUND for a service this server does not have; `Watch` streams the
 * status (SERVICE_UNKNOWN for such a service, as the standard says) and every
 * change; `List` gives every service's status.
 */
import type { ServerHttp2Stream } from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
  HealthListRequestSchema,
  HealthListResponseSchema,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { decodeBinary } from "../../contract/decode.js";
import { GrpcStatus, KmsError } from "../../errors.js";
import type { Outcome } from "../../pipeline/outcome.js";
import { ServerStream } from "./stream.js";

export const HEALTH_PATHS = {
  check: "/grpc.health.v1.Health/Check",
  list: "/grpc.health.v1.Health/List",
  watch: "/grpc.health.v1.Health/Watch",
} as const;

/** The standard's limit on List. */
const LIST_MAX = 100;

interface Watcher {
  update(status: ServingStatus): void;
  close(outcome: Outcome): void;
}

/**
 * Whether the server serves: SERVING from start, NOT_SERVING once it drains
 * (watchers hear it at once), and watch streams ended when it closes. The
 * composition root drains it first thing at shutdown.
 */
export class ServingState {
  private draining = false;
  private readonly watchers = new Set<Watcher>();

  private readonly fresh: () => boolean;

  /**
   * `services`: the names of the services the server serves; `serving: false`
   * (a sealed server) reports NOT_SERVING from the start; `fresh`: whether this
   * replica can show it is current with the shared store (NOT_SERVING while not).
   */
  constructor(
    private readonly services: ReadonlySet<string>,
    options: { serving?: boolean; fresh?: () => boolean } = {},
  ) {
    this.draining = options.serving === false;
    this.fresh = options.fresh ?? (() => true);
  }

  /** The status of a service ("" for the server), or undefined for a service this server does not have. */
  status(service: string): ServingStatus | undefined {
    if (service !== "" && !this.services.has(service)) return undefined;
    return this.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  /** Every service's status, the server's ("") first. */
  all(): [string, ServingStatus][] {
    const status = this.serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    return [["", status], ...[...this.services].sort().map((s): [string, ServingStatus] => [s, status])];
  }

  /** Neither draining (sealed, shutting down) nor a replica behind the store. */
  get serving(): boolean {
    return !this.draining && this.fresh();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Shutdown has begun: everything is NOT_SERVING from now on. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const w of this.watchers) w.update(ServingStatus.NOT_SERVING);
  }

  /** The listeners are closing: ends every watch stream (UNAVAILABLE, so clients retry elsewhere). */
  close(): void {
    this.drain();
    const outcome: Outcome = { status: GrpcStatus.Unavailable, code: "UnsupportedOperation.ServiceTemporaryUnavailable", message: "the server is shutting down" };
    for (const w of [...this.watchers]) w.close(outcome);
    this.watchers.clear();
  }

  watch(w: Watcher): () => void {
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }
}

function serviceOf(request: Uint8Array): string {
  return decodeBinary(HealthCheckRequestSchema, request).service;
}

function encodeStatus(status: ServingStatus): Uint8Array {
  return toBinary(HealthCheckResponseSchema, create(HealthCheckResponseSchema, { status }));
}

/** Check: the status, or NOT_FOUND for a service this server does not have. */
export function checkHealth(state: ServingState, request: Uint8Array): Uint8Array {
  const service = serviceOf(request);
  const status = state.status(service);
  if (status === undefined) throw new KmsError("ResourceNotFound", `unknown service ${service.slice(0, 100)}`);
  return encodeStatus(status);
}

/** List: every service's status (RESOURCE_EXHAUSTED past the standard's 100). */
export function listHealth(state: ServingState, request: Uint8Array): Uint8Array {
  decodeBinary(HealthListRequestSchema, request);
  const all = state.all();
  if (all.length > LIST_MAX) throw new KmsError("LimitExceeded", `more than ${LIST_MAX} services`);
  const statuses = Object.fromEntries(all.map(([name, status]) => [name, create(HealthCheckResponseSchema, { status })]));
  return toBinary(HealthListResponseSchema, create(HealthListResponseSchema, { statuses }));
}

/** Watch: the current status at once, then each change, until the client leaves or the server closes. */
export function watchHealth(state: ServingState, stream: ServerHttp2Stream, out: ServerStream, request: Uint8Array): void {
  const service = serviceOf(request);
  let last: ServingStatus | undefined;
  const send = (status: ServingStatus) => {
    if (status === last) return;
    last = status;
    out.send(encodeStatus(status));
  };
  send(state.status(service) ?? ServingStatus.SERVICE_UNKNOWN);
  if (!out.open) return;
  const stop = state.watch({
    update: (status) => {
      if (state.status(service) !== undefined) send(status);
    },
    close: (outcome) => out.fail(outcome),
  });
  stream.once("close", stop);
}
