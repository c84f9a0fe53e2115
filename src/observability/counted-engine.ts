/** An asymmetric engine adapter that counts the operations submitted and not yet answered (the worker pool's queue). */
import type { AsymmetricEngine } from "../crypto/asymmetric/pool.js";

export interface CountedEngine extends AsymmetricEngine {
  readonly pending: number;
  /** The engine itself, for when nobody counts. */
  readonly inner: AsymmetricEngine;
}

export function countedEngine(engine: AsymmetricEngine): CountedEngine {
  let pending = 0;
  const done = () => {
    pending--;
  };
  return {
    get pending() {
      return pending;
    },
    run(op) {
      pending++;
      const result = engine.run(op);
      result.then(done, done);
      return result;
    },
    close: () => engine.close(),
    inner: engine,
  };
}
