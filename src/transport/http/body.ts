/** Request bodies on the compat request API (HTTP/1.1, and HTTP/2 outside gRPC): bounded, refused as soon as too long. */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { KmsError } from "../../errors.js";

export type HttpRequest = IncomingMessage | Http2ServerRequest;

/** The whole body, at most `max` bytes; a longer one (declared or sent) is refused and the rest drained, so the answer can still be read. */
export function readBody(req: HttpRequest, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new KmsError("RequestSizeLimitExceeded", `the request body exceeds ${max} bytes`);
    if (Number(req.headers["content-length"] ?? 0) > max) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => failed || resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The media type of a request, lower-cased, without parameters. */
export function mediaType(req: HttpRequest): string {
  return String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** The path of a request URL, without its query. */
export function pathOf(req: HttpRequest): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}
