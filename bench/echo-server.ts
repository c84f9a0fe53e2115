/**
 * The echo server of the ceilings: the same request in, the same response out
 * as the KMS gives, and no work in between. Runs as its own process; three
 * listeners, measured one at a time:
 *
 *   connect-h2c  connect-node over h2c serving every KeyManagementService and
 *                SecretsManagerService and DataKeyService method (gRPC and Connect protocols): the same server stack
 *   raw-h2       bare node:http2 speaking gRPC: the runtime's own limit
 *   gateway-h1   node:http, reads the body, verifies its TC3 signature,
 *                parses the JSON and answers the API 3.0 envelope
 *
 * Which response to give is named by the `bench-reply` request header: the
 * file <ECHO_CANNED_DIR>/<name>.bin (protobuf) or <name>.json (API 3.0
 * Response object), written by the runner from a real answer of the KMS.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import { DataKeyService } from "../gen/kms/v1/datakeys_pb.js";
import { KeyManagementService } from "../gen/kms/v1/kms_pb.js";
import { SecretsManagerService } from "../gen/ssm/v1/ssm_pb.js";
import { verifyTc3 } from "../src/transport/api3/tc3-signature.js";
import { grpcFrame } from "./wire.js";

const dir = process.env["ECHO_CANNED_DIR"] ?? ".";
const secretId = process.env["ECHO_SECRET_ID"] ?? "";
const secretKey = process.env["ECHO_SECRET_KEY"] ?? "";

const files = new Map<string, Buffer>();
/** The canned file, read once. Names are the runner's own (letters, digits, dashes). */
function canned(name: string, ext: "bin" | "json"): Buffer {
  const id = `${name}.${ext}`;
  let bytes = files.get(id);
  if (!bytes) {
    bytes = /^[\w-]+$/.test(name) ? readFileSync(`${dir}/${id}`) : Buffer.alloc(0);
    files.set(id, bytes);
  }
  return bytes;
}

const decoded = new Map<string, unknown>();
function cannedMessage<O extends DescMessage>(schema: O, name: string): MessageShape<O> {
  const hit = decoded.get(name) as MessageShape<O> | undefined;
  if (hit) return hit;
  const message = fromBinary(schema, canned(name, "bin"));
  decoded.set(name, message);
  return message;
}

/** Every method answers its canned message, registered the way the KMS registers its services. */
function routes(router: ConnectRouter): void {
  for (const service of [KeyManagementService, SecretsManagerService, DataKeyService] as DescService[]) {
    const impl: Record<string, (req: unknown, ctx: HandlerContext) => Promise<unknown>> = {};
    for (const method of service.methods) {
      impl[method.localName] = async (_req, ctx) => cannedMessage(method.output, ctx.requestHeader.get("bench-reply") ?? "");
    }
    router.service(service, impl as unknown as ServiceImpl<DescService>);
  }
}

const responses = new Map<string, Record<string, unknown>>();
/** The canned API 3.0 Response object, parsed once (the answer's JSON is written per call, with a fresh RequestId). */
function cannedResponse(name: string): Record<string, unknown> {
  let response = responses.get(name);
  if (!response) {
    response = JSON.parse(canned(name, "json").toString("utf8")) as Record<string, unknown>;
    responses.set(name, response);
  }
  return response;
}

function readBody(req: http.IncomingMessage | http2.ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const connectH2c = http2.createServer(connectNodeAdapter({ routes }));

/** The framed canned answers of the raw echo, built once: an outsider's echo would not frame per call either. */
const framedReplies = new Map<string, Buffer>();
function framedReply(name: string): Buffer {
  let reply = framedReplies.get(name);
  if (!reply) {
    reply = grpcFrame(canned(name, "bin"));
    framedReplies.set(name, reply);
  }
  return reply;
}

const ignore = () => undefined;

/**
 * The raw ceiling: as lean as a gRPC echo on node:http2 gets (no promise, no
 * buffering of the body it discards), so the ratio to it cannot improve by
 * the echo being slow.
 */
const rawH2 = http2.createServer();
rawH2.on("stream", (stream, headers) => {
  const reply = framedReply(String(headers["bench-reply"] ?? ""));
  stream.on("error", ignore);
  stream.on("data", ignore);
  stream.once("end", () => {
    // A load generator that stops resets its streams in flight: answering a destroyed stream throws.
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(reply);
  });
});

const gatewayH1 = http.createServer((req, res) => {
  readBody(req).then((body) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    let response: Record<string, unknown>;
    try {
      verifyTc3({ method: req.method ?? "POST", rawQuery: "", headers, body }, (id) => (id === secretId ? secretKey : undefined), Math.floor(Date.now() / 1000));
      JSON.parse(body.toString("utf8"));
      response = { ...cannedResponse(headers["bench-reply"] ?? ""), RequestId: randomUUID() };
    } catch (err) {
      response = { Error: { Code: "AuthFailure.SignatureFailure", Message: (err as Error).message }, RequestId: randomUUID() };
    }
    const text = JSON.stringify({ Response: response });
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)) });
    res.end(text);
  }, () => res.destroy());
});

function listen(server: http.Server | http2.Http2Server, name: string): Promise<void> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      process.stderr.write(`echo: ${name} 127.0.0.1:${(server.address() as AddressInfo).port}\n`);
      resolve();
    }),
  );
}

await listen(connectH2c, "connect-h2c");
await listen(rawH2, "raw-h2");
await listen(gatewayH1, "gateway-h1");
process.on("SIGTERM", () => process.exit(0));
