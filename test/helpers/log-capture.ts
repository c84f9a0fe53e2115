/** A Logger that keeps its lines, for tests that assert what the service said. */
import type { Logger } from "../../src/log.js";

export interface CapturedLog extends Logger {
  lines: string[];
  has(re: RegExp): boolean;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m, err) => lines.push(`ERROR ${m}${err instanceof Error ? `: ${err.message}` : ""}`),
    has: (re) => lines.some((l) => re.test(l)),
  };
}
