/** Process entry: `npm start`. Logs one line per listener; SIGTERM/SIGINT drain and exit 0; a bad start exits 1 with the reason. */
import { startKms } from "./app.js";
import { loadConfig, type ListenAddress } from "./config.js";
import { consoleLogger as log } from "./log.js";
import { isClusterWorker, reportReady, runPrimary } from "./replica/workers.js";

async function main(): Promise<void> {
  const config = loadConfig();
  // KMS_WORKERS (etcd): this process only forks and watches the workers, each a replica.
  if (config.replica.workers > 1 && !isClusterWorker()) return runPrimary(config, log);
  const worker = isClusterWorker();
  const onListening = (grpc: ListenAddress, http: ListenAddress, sealed: boolean) => {
    if (worker) return;
    log.info(`kms: gRPC, gRPC-Web and Connect (h2c) listening on ${grpc.host}:${grpc.port}`);
    log.info(`kms: Connect (HTTP/1.1) listening on ${http.host}:${http.port}`);
    if (sealed) log.warn("kms: the service is sealed: it answers health checks and kms.v1.UnsealService only, until enough shares arrive (npm run unseal)");
  };
  const server = await startKms(config, { log, onListening });
  if (worker) reportReady({ grpc: server.grpc, http: server.http, keys: server.deps.repo.count });
  else log.info(`kms: data in ${config.dataDir}, ${server.deps.repo.count} key(s), new keys ${config.defaultKeyType}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`kms: ${signal} received, draining`);
    server.close().then(
      () => {
        log.info("kms: stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error("kms: shutdown failed", err);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  log.error(`kms: cannot start: ${(err as Error).message}`);
  process.exit(1);
});
