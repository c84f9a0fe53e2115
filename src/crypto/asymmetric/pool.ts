/**
 * A small pool of worker threads for asymmetric operations: RSA and SM2
 * private-key work, ML-KEM and ML-DSA, key generation. The event loop only
 * posts messages, so symmetric calls keep answering during a burst. A worker
 * that dies fails its in-flight calls and is replaced.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { AsymmetricInputError, type AsymmetricOp, type AsymmetricResult, type AsymmetricResults } from "./types.js";
import type { WorkerReply, WorkerRequest } from "./worker.js";

/** The port the domain uses: run an operation somewhere off the event loop. */
export interface AsymmetricEngine {
  run<O extends AsymmetricOp>(op: O): Promise<AsymmetricResults[O["op"]]>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (r: AsymmetricResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * The worker's entry. From source (tsx), a .mjs bootstrap loads worker.ts, since Node 20 does not apply tsx inside
 * workers; from the build (`npm run build`), the bundled worker.js sits next to the bundle that holds this module.
 */
const WORKER_URL = import.meta.url.endsWith(".ts") ? new URL("./worker-entry.mjs", import.meta.url) : new URL("./worker.js", import.meta.url);

export function createWorkerPool(size = Math.max(1, availableParallelism())): AsymmetricEngine {
  let nextId = 1;
  let closed = false;
  const slots: Slot[] = [];

  const spawn = (index: number): Slot => {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on("message", (reply: WorkerReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result as AsymmetricResult);
      else p.reject(reply.input ? new AsymmetricInputError(reply.message) : new Error(reply.message));
    });
    const fail = (err: Error) => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      if (!closed) slots[index] = spawn(index);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!closed) fail(new Error(`asymmetric worker exited with code ${code}`));
    });
    return slot;
  };
  // Workers start on first use, so a service that never does asymmetric work starts none.
  const ensureStarted = () => {
    while (slots.length < size) slots.push(spawn(slots.length));
  };

  return {
    run<O extends AsymmetricOp>(op: O) {
      if (closed) return Promise.reject(new Error("asymmetric pool is closed"));
      ensureStarted();
      // The least busy worker takes the call.
      const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = nextId++;
      return new Promise<AsymmetricResult>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.ref();
        slot.worker.postMessage({ id, op } satisfies WorkerRequest);
      }).finally(() => {
        if (slot.pending.size === 0) slot.worker.unref();
      }) as Promise<AsymmetricResults[O["op"]]>;
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
