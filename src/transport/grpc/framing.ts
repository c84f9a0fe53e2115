/**
 * gRPC's wire pieces, shared by gRPC over HTTP/2 and gRPC-Web: length-prefixed
 * message frames, the percent-encoded grpc-message, and google.rpc.Status with
 * a kms.v1.ErrorInfo detail for grpc-status-details-bin (where connect-es,
 * grpc-js and other clients read error details).
 */
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { ErrorInfoSchema } from "../../../gen/kms/v1/kms_pb.js";
import { encodeWithHeadroom } from "../../contract/encode.js";
import { KmsError } from "../../errors.js";
import type { Outcome } from "../../pipeline/outcome.js";

/** Flag bit of a gRPC-Web frame that carries trailers instead of a message. */
export const TRAILER_FLAG = 0x80;

/** Fills in the 5-byte prefix of a frame whose message follows it to the end of `out`. */
function withPrefix(out: Buffer, flags: number): Buffer {
  out[0] = flags;
  out.writeUInt32BE(out.length - 5, 1);
  return out;
}

export function frame(payload: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out.set(payload, 5);
  return withPrefix(out, flags);
}

/** One message frame holding `init` encoded as `schema`, written in place (no copy of the message). */
export function frameMessage<S extends DescMessage>(schema: S, init: MessageInitShape<S>): Buffer {
  return withPrefix(encodeWithHeadroom(schema, init, 5), 0);
}

/** The one message of a unary request body: exactly one uncompressed length-prefixed frame. */
export function unframe(body: Buffer): Uint8Array {
  if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) throw new KmsError("InvalidParameter", "the request is not exactly one length-prefixed gRPC message");
  if (body[0] !== 0) throw new KmsError("InvalidParameter", "the request message is flagged compressed, but no grpc-encoding was negotiated");
  return body.subarray(5);
}

/** Percent-encoding of grpc-message (gRPC over HTTP/2 spec). */
export function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** google.rpc.Status { code, message, details: [Any(kms.v1.ErrorInfo)] }, written by hand: two small messages. */
function statusDetails(o: Outcome, requestId: string): string {
  const info = toBinary(ErrorInfoSchema, create(ErrorInfoSchema, { code: o.code, requestId }));
  const any = new BinaryWriter().tag(1, WireType.LengthDelimited).string(`type.googleapis.com/${ErrorInfoSchema.typeName}`).tag(2, WireType.LengthDelimited).bytes(info).finish();
  const st = new BinaryWriter().tag(1, WireType.Varint).int32(o.status).tag(2, WireType.LengthDelimited).string(o.message).tag(3, WireType.LengthDelimited).bytes(any).finish();
  return Buffer.from(st).toString("base64");
}

/** The status of a failed call as gRPC trailers (also sent as headers in a trailers-only answer). */
export function errorTrailers(o: Outcome, requestId: string, codeHeader: string): Record<string, string> {
  return {
    "grpc-status": String(o.status),
    "grpc-message": encodeGrpcMessage(o.message),
    [codeHeader]: o.code,
    "grpc-status-details-bin": statusDetails(o, requestId),
  };
}
