/**
 * The metrics listener: its own plain HTTP server (KMS_METRICS_ADDR, keep it
 * on loopback or a monitoring network), answering GET /metrics with the
 * Prometheus text format and nothing else. Apart from the service's ports so
 * that scraping needs no credentials and reveals nothing the API guards.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ListenAddress } from "../config.js";
import type { Logger } from "../log.js";
import type { Metrics } from "./metrics.js";

export interface MetricsListener {
  address: ListenAddress;
  close(): Promise<void>;
}

export async function startMetricsListener(metrics: Metrics, addr: ListenAddress, log: Logger): Promise<MetricsListener> {
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(req.method === "HEAD" ? undefined : text),
      (err: unknown) => {
        log.error("metrics: cannot render", err);
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n");
      },
    );
  });
  server.maxConnections = 64;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address: { host: addr.host, port },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
