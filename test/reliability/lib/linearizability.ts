/**
 * A small Wing–Gong linearizability checker (with Lowe's memoisation): is
 * there a serial order of the operations, consistent with their real-time
 * order (an op that returned before another was called comes first), in which
 * a sequential model produces exactly the answers observed? Bounded by a step
 * budget; beyond it the answer is "unknown".
 *
 * An operation whose answer was never seen (the server died mid-call, the
 * connection broke) is `maybe`: it may have taken effect or not, so the
 * checker may place it anywhere after its call, or leave it out.
 */
export interface HistoryOp<S> {
  /** Client-side times (ms): the call was sent at `call`, its answer seen at `ret`. */
  call: number;
  ret: number;
  /** The model's next state if the observed answer is what the model answers from `s`; undefined otherwise. */
  step(s: S): S | undefined;
  label: string;
  /** The outcome is unknown: it may be left out (no effect) as well as placed. Give it ret = Infinity. */
  maybe?: boolean;
}

export type Verdict = { result: "linearizable"; order: string[] } | { result: "not linearizable"; longestPrefix: string[] } | { result: "unknown"; steps: number };

export function checkLinearizable<S>(history: readonly HistoryOp<S>[], init: S, stateKey: (s: S) => string, budget = 2_000_000): Verdict {
  const ops = [...history].sort((a, b) => a.call - b.call);
  const n = ops.length;
  const done = new Uint8Array(n);
  const memo = new Set<string>();
  const order: number[] = [];
  let longest: number[] = [];
  let steps = 0;
  let exhausted = false;

  const dfs = (state: S, count: number): boolean => {
    if (count === n) return true;
    if (++steps > budget) {
      exhausted = true;
      return false;
    }
    const key = `${Buffer.from(done).toString("base64")}|${stateKey(state)}`;
    if (memo.has(key)) return false;
    let minRet = Infinity;
    for (let i = 0; i < n; i++) if (!done[i] && (ops[i] as HistoryOp<S>).ret < minRet) minRet = (ops[i] as HistoryOp<S>).ret;
    for (let i = 0; i < n; i++) {
      const op = ops[i] as HistoryOp<S>;
      if (op.call > minRet) break;
      if (done[i]) continue;
      for (const next of op.maybe ? [op.step(state), state] : [op.step(state)]) {
        if (next === undefined) continue;
        done[i] = 1;
        order.push(i);
        if (order.length > longest.length) longest = [...order];
        if (dfs(next, count + 1)) return true;
        order.pop();
        done[i] = 0;
        if (exhausted) return false;
      }
    }
    memo.add(key);
    return false;
  };

  const ok = dfs(init, 0);
  if (ok) return { result: "linearizable", order: order.map((i) => (ops[i] as HistoryOp<S>).label) };
  if (exhausted) return { result: "unknown", steps };
  return { result: "not linearizable", longestPrefix: longest.map((i) => (ops[i] as HistoryOp<S>).label) };
}
