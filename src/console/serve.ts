/**
 * Serves the web console's static build (console/ → dist/console/ by `npm run
 * build`) at /console on both listeners. The console itself calls the API
 * through Connect, on the same origin, like any other client.
 *
 * Files are read once, on first request, into a table keyed by their name in
 * the build folder: a request can only ever name a file of that table, so no
 * path reaches the file system and traversal has nothing to walk. Every answer
 * carries the console's security headers (strict CSP without inline script or
 * style, no framing, no sniffing, no referrer).
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;
/** The shape of the listeners' request handlers (src/server/listen.ts NodeHandler). */
export type Handler = (req: Request, res: Response) => void;

/** Where the console is mounted. */
export const CONSOLE_PATH = "/console";

/**
 * The console's Content-Security-Policy: its own script and style only (no
 * inline, no eval), calls to its own origin only, never framed. Pico's form
 * controls draw their icons as data: SVG images, hence img-src data:.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every console answer, files and errors alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

/** Build outputs whose names carry a content hash (app-3F2A1B9C.js) never change: cached for a year. */
const HASHED_NAME = /-[A-Z0-9]{8}\.[a-z]+$/;

interface StaticFile {
  body: Buffer;
  gzip: Buffer | undefined;
  contentType: string;
  etag: string;
  cacheControl: string;
}

/** The build folder next to the bundle (dist/main.js → dist/console/), or dist/console/ when run from source. */
export function defaultConsoleDir(): string {
  const url = import.meta.url.endsWith(".ts") ? new URL("../../dist/console/", import.meta.url) : new URL("./console/", import.meta.url);
  return fileURLToPath(url);
}

async function loadFiles(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return files;
  }
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type) continue;
    const body = await readFile(join(dir, name));
    const compressible = /^text\/|json|svg/.test(type) && body.length > 1024;
    files.set(name, {
      body,
      gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
      contentType: type,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      cacheControl: HASHED_NAME.test(name) ? "public, max-age=31536000, immutable" : "no-cache",
    });
  }
  return files;
}

/** Whether a request URL is the console's (so the listener hands it to the console handler). */
export function isConsolePath(url: string): boolean {
  return url === CONSOLE_PATH || url.startsWith(`${CONSOLE_PATH}/`) || url.startsWith(`${CONSOLE_PATH}?`);
}

/**
 * The file a console URL names: "index.html" for the console itself, a plain
 * file name for an asset; undefined for anything else (sub-folders, dot files,
 * encoded separators, "..": the build is flat, so none of them can be a file).
 */
export function fileNameOf(url: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  const rest = path.slice(CONSOLE_PATH.length + 1);
  if (rest === "") return "index.html";
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(rest) || rest.includes("..")) return undefined;
  return rest;
}

function send(res: Response, status: number, headers: Record<string, string>, body?: Buffer | string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  if (body === undefined) res.end();
  else res.end(body);
}

function notFound(res: Response, message: string): void {
  send(res, 404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }, message);
}

export interface ConsoleHandlerOptions {
  /** The build folder (default: defaultConsoleDir()). */
  dir?: string;
}

/** Answers GET and HEAD for /console and its files; the caller decides which URLs come here (isConsolePath). */
export function createConsoleHandler(opts: ConsoleHandlerOptions = {}): Handler {
  const dir = opts.dir ?? defaultConsoleDir();
  let loaded: Promise<Map<string, StaticFile>> | undefined;
  return (req, res) => {
    const url = req.url ?? "/";
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }, "method not allowed\n");
      return;
    }
    // "/console" → "/console/", so the page's base is its folder.
    if (url === CONSOLE_PATH || url.startsWith(`${CONSOLE_PATH}?`)) {
      send(res, 308, { location: `${CONSOLE_PATH}/`, "content-type": "text/plain; charset=utf-8" }, "");
      return;
    }
    loaded ??= loadFiles(dir);
    loaded.then(
      (files) => {
        if (files.size === 0) {
          loaded = undefined; // built later: read again on the next request
          return notFound(res, "The console is not built: run npm run build\n");
        }
        const name = fileNameOf(url);
        const file = name === undefined ? undefined : files.get(name);
        if (!file) return notFound(res, "not found\n");
        const headers: Record<string, string> = { "content-type": file.contentType, etag: file.etag, "cache-control": file.cacheControl, vary: "accept-encoding" };
        if (req.headers["if-none-match"] === file.etag) return send(res, 304, headers);
        const gzip = file.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) ? file.gzip : undefined;
        const body = gzip ?? file.body;
        if (gzip) headers["content-encoding"] = "gzip";
        headers["content-length"] = String(body.length);
        send(res, 200, headers, req.method === "HEAD" ? undefined : body);
      },
      () => notFound(res, "The console build cannot be read\n"),
    );
  };
}

/**
 * Puts the console in front of a listener's handler: /console and its files
 * go to the console, everything else to `next`. This is the one hook the
 * listeners need (see src/app.ts).
 */
export function withConsole(next: Handler, opts: ConsoleHandlerOptions = {}): Handler {
  const console = createConsoleHandler(opts);
  return (req, res) => (isConsolePath(req.url ?? "/") ? console(req, res) : next(req, res));
}
