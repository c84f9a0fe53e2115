/**
 * A store port adapter that times every write batch and hands the time on
 * (to metrics). Reads pass straight through: they are not what stalls a call.
 */
import { performance } from "node:perf_hooks";
import type { BatchOp, BatchOptions, KvStore } from "../store/store.js";

/** `observe(seconds, durable)` after each batch, failed ones included. `durable` is what the batch asked for. */
export function timedStore(store: KvStore, observe: (seconds: number, durable: boolean) => void): KvStore {
  return {
    get: (key) => store.get(key),
    getMany: (keys) => store.getMany(keys),
    scan: (opts) => store.scan(opts),
    scanKeys: (opts) => store.scanKeys(opts),
    close: () => store.close(),
    get limits() {
      return store.limits;
    },
    revision: () => store.revision(),
    watch: (prefix, listener, options) => store.watch(prefix, listener, options),
    async batch(ops: readonly BatchOp[], options?: BatchOptions) {
      const start = performance.now();
      try {
        return await store.batch(ops, options);
      } finally {
        observe((performance.now() - start) / 1000, options?.durable !== false);
      }
    },
  };
}
