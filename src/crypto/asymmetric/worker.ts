/** Worker thread: runs asymmetric operations sent by pool.ts. Errors cross back as data, never as secrets. */
import { parentPort } from "node:worker_threads";
import { runAsymmetricOp } from "./ops.js";
import { AsymmetricInputError, type AsymmetricOp } from "./types.js";

export interface WorkerRequest {
  id: number;
  op: AsymmetricOp;
}

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; input: boolean; message: string };

const port = parentPort;
if (!port) throw new Error("asymmetric worker: not started as a worker thread");

port.on("message", (req: WorkerRequest) => {
  runAsymmetricOp(req.op).then(
    (result) => port.postMessage({ id: req.id, ok: true, result } satisfies WorkerReply),
    (err: unknown) =>
      port.postMessage({
        id: req.id,
        ok: false,
        input: err instanceof AsymmetricInputError,
        message: err instanceof Error ? err.message : String(err),
      } satisfies WorkerReply),
  );
});
