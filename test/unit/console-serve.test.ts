/**
 * The console's static file handler over a real HTTP/1.1 server: content
 * types, caching (ETag, 304, immutable hashed assets), gzip, the security
 * headers on every answer, 404s, and requests that try to leave the build
 * folder (which the handler can only ever answer from its own table).
 */
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, fileNameOf, isConsolePath, withConsole } from "../../src/console/serve.js";

let root: string;
let server: http.Server;
let base: string;
const bigJs = `console.log(${JSON.stringify("x".repeat(4000))});\n`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "kms-console-"));
  const dir = join(root, "console");
  await mkdir(dir);
  await writeFile(join(dir, "index.html"), "<!doctype html><title>t</title>");
  await writeFile(join(dir, "app-ABCDEFGH.js"), bigJs);
  await writeFile(join(dir, "app-ABCDEFGH.css"), "body{}");
  await writeFile(join(dir, "favicon.svg"), "<svg/>");
  await writeFile(join(dir, "notes.bin"), "unlisted type");
  // A file beside the build folder that traversal would reach.
  await writeFile(join(root, "secret.txt"), "do not serve");
  server = http.createServer(
    withConsole(
      (_req, res) => {
        res.writeHead(418);
        res.end("next");
      },
      { dir },
    ),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

/** A raw request, so the path reaches the server exactly as written (fetch would normalise "..") */
function raw(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/`, { method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

function expectSecurityHeaders(headers: http.IncomingHttpHeaders): void {
  expect(headers["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
}

describe("console static files", () => {
  it("serves the page and its assets with their content types and security headers", async () => {
    const page = await raw("/console/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.body.toString()).toContain("<title>t</title>");
    expectSecurityHeaders(page.headers);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe");

    const js = await raw("/console/app-ABCDEFGH.js");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await raw("/console/app-ABCDEFGH.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await raw("/console/favicon.svg")).headers["content-type"]).toBe("image/svg+xml");
  });

  it("revalidates with ETag and compresses for clients that accept gzip", async () => {
    const first = await raw("/console/app-ABCDEFGH.js");
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const again = await raw("/console/app-ABCDEFGH.js", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expectSecurityHeaders(again.headers);
    const gz = await raw("/console/app-ABCDEFGH.js", { "accept-encoding": "gzip, br" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.headers.vary).toBe("accept-encoding");
    expect(gunzipSync(gz.body).toString()).toBe(bigJs);
    expect(gz.body.length).toBeLessThan(bigJs.length / 10);
    const head = await raw("/console/app-ABCDEFGH.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(Buffer.byteLength(bigJs)));
  });

  it("redirects /console to /console/ and refuses other methods", async () => {
    const r = await raw("/console");
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe("/console/");
    const post = await raw("/console/", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });

  it.each([
    "/console/missing.js",
    "/console/notes.bin",
    "/console/../secret.txt",
    "/console/..%2fsecret.txt",
    "/console/%2e%2e/secret.txt",
    "/console/%2e%2e%2fsecret.txt",
    "/console/sub/index.html",
    "/console/.hidden",
    "/console/..",
    "/console//etc/passwd",
    "/console/index.html%00.js",
    "/console/%5c..%5csecret.txt",
  ])("answers 404 for %s, with the security headers", async (path) => {
    const r = await raw(path);
    expect(r.status).toBe(404);
    expect(r.body.toString()).not.toContain("do not serve");
    expectSecurityHeaders(r.headers);
  });

  it("hands every other path to the next handler", async () => {
    for (const path of ["/", "/consoles", "/kms.v1.KeyManagementService/Encrypt", "/healthz"]) expect((await raw(path)).status).toBe(418);
    expect(isConsolePath("/console?x")).toBe(true);
    expect(isConsolePath("/consolex")).toBe(false);
    expect(fileNameOf("/console/app-X.js?v=1#h")).toBe("app-X.js");
    expect(fileNameOf("/console/")).toBe("index.html");
    expect(fileNameOf("/console/a/../b")).toBeUndefined();
  });
});
