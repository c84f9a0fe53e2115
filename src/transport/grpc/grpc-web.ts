/**
 * gRPC-Web (unary), as browsers and connect-es send it, over HTTP/1.1 and
 * HTTP/2: a wire codec around the call pipeline. The body is the gRPC frame
 * of the request (binary, or proto3 JSON with +json); the answer is the
 * message frame followed by a trailers frame, or a trailers-only answer with
 * the status in the headers. Text mode (grpc-web-text) is not offered.
 */
import { create, toBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import { decodeBinary, decodeJson } from "../../contract/decode.js";
import { KmsError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { CallPipeline } from "../../pipeline/pipeline.js";
import type { MessageInit } from "../../pipeline/routes.js";
import { mediaType, pathOf, readBody, type HttpRequest } from "../http/body.js";
import { ERROR_CODE_HEADER, MIN_REVISION_HEADER, REGION_HEADER, REQUEST_ID_HEADER, revisionHeader } from "../http/headers.js";
import { credentialsOf, peerOf, sessionOf } from "../http/peer.js";
import type { HttpResponse } from "../http/response.js";
import { errorTrailers, frame, TRAILER_FLAG, unframe } from "./framing.js";

const GRPC_WEB = /^application\/grpc-web(\+proto|\+json)?$/;

/** True for gRPC-Web requests (binary or JSON). */
export function isGrpcWebRequest(req: HttpRequest): boolean {
  return GRPC_WEB.test(mediaType(req));
}

export interface GrpcWebOptions {
  readMaxBytes: number;
  log: Logger;
}

function encode(schema: DescMessage, output: MessageInit, json: boolean): Uint8Array {
  const message = create(schema, output);
  return json ? Buffer.from(toJsonString(schema, message)) : toBinary(schema, message);
}

export function createGrpcWebHandler(pipeline: CallPipeline, opts: GrpcWebOptions): (req: HttpRequest, res: HttpResponse) => void {
  return (req, res) => {
    const type = mediaType(req);
    const json = type.endsWith("+json");
    const contentType = json ? "application/grpc-web+json" : "application/grpc-web+proto";
    const peer = peerOf(req.socket);
    pipeline
      .serve("grpc-web", peer.source, async (call) => {
        const route = pipeline.routes.byGrpcPath(pathOf(req));
        if (!route) throw new KmsError("InvalidAction", `no method ${pathOf(req).slice(0, 120)}`);
        pipeline.setRoute(call, route);
        await pipeline.admit(call, req.headers[MIN_REVISION_HEADER]);
        pipeline.identify(call, credentialsOf(req.headers.authorization, peer, sessionOf(req)));
        pipeline.setRegion(call, req.headers[REGION_HEADER] as string | undefined);
        const encoding = req.headers["grpc-encoding"];
        if (encoding !== undefined && encoding !== "identity") throw new KmsError("UnsupportedOperation", `grpc-encoding ${String(encoding).slice(0, 32)} is not supported; send identity`);
        const payload = unframe(await readBody(req, opts.readMaxBytes + 5));
        return json ? decodeJson(route.method.input, payload) : decodeBinary(route.method.input, payload);
      })
      .then((served) => {
        const headers = { "content-type": contentType, [REQUEST_ID_HEADER]: served.call.requestId };
        if (!served.ok) {
          req.resume();
          res.writeHead(200, { ...headers, ...errorTrailers(served.outcome, served.call.requestId, ERROR_CODE_HEADER) });
          res.end();
          return;
        }
        const body = encode(served.route.method.output, served.output, json);
        res.writeHead(200, { ...headers, ...revisionHeader(served.call.revision) });
        res.end(Buffer.concat([frame(body), frame(Buffer.from("grpc-status:0\r\ngrpc-message:\r\n"), TRAILER_FLAG)]));
      })
      .catch((err: unknown) => opts.log.error("grpc-web: answer not sent", err));
  };
}
