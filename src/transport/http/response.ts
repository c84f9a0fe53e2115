/** The part of an HTTP response (HTTP/1.1 or the HTTP/2 compat API) the codecs use. */
export interface HttpResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body?: Uint8Array | string): unknown;
}
