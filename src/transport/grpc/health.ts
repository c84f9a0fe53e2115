/**
 * The standard gRPC health check (grpc.health.v1.Health/Check), answered
 * without credentials as load balancers call it: SERVING for the server as a
 * whole ("") and for each service it serves, NOT_FOUND for any other name.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { KmsError } from "../../errors.js";

export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";

/** HealthCheckResponse.ServingStatus */
const SERVING = 1;
const NOT_SERVING = 2;

/** The service a HealthCheckRequest names ("" for the whole server). */
function serviceNamed(request: Uint8Array): string {
  const reader = new BinaryReader(request);
  let service = "";
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) service = reader.string();
    else reader.skip(wireType);
  }
  return service;
}

/** The HealthCheckResponse bytes (NOT_SERVING while the server is not serving, e.g. sealed), or a NOT_FOUND error for a service this server does not have. */
export function checkHealth(request: Uint8Array, services: ReadonlySet<string>, serving: boolean): Uint8Array {
  let service: string;
  try {
    service = serviceNamed(request);
  } catch {
    throw new KmsError("InvalidParameter", "the request is not a valid grpc.health.v1.HealthCheckRequest");
  }
  if (service !== "" && !services.has(service)) throw new KmsError("ResourceNotFound", `unknown service ${service.slice(0, 100)}`);
  return new BinaryWriter().tag(1, WireType.Varint).int32(serving ? SERVING : NOT_SERVING).finish();
}

