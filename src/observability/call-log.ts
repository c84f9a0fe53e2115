/**
 * The per-call log line: one JSON record per call with its RequestId, the
 * principal's uin, the action, the transport, the API code and the latency.
 * Nothing from the request or the answer is written: ids and names only.
 * Written at the configured level (debug by default, so off unless asked); a
 * call that ends in InternalError is written as an error whatever the level.
 */
import type { JsonLogger, LogLevel } from "../log.js";
import type { Call, CallObserver } from "../pipeline/pipeline.js";

export function callLogObserver(log: JsonLogger, level: LogLevel): CallObserver {
  return {
    onCallEnd(call: Call, code: string, latencyMs: number) {
      const at: LogLevel = code === "InternalError" ? "error" : level;
      if (!log.enabled(at)) return;
      log.write(
        at,
        {
          requestId: call.requestId,
          uin: call.identity ? call.identity.uin.toString() : "",
          action: call.action,
          transport: call.transport,
          code,
          latencyMs: Math.round(latencyMs * 1000) / 1000,
        },
        "call",
      );
    },
  };
}
