/** The per-call log line: its level rule and its fields, with a JSON logger writing to memory. */
import { describe, expect, it } from "vitest";
import { createJsonLogger, type LogLevel } from "../../src/log.js";
import { callLogObserver } from "../../src/observability/call-log.js";
import type { Call } from "../../src/pipeline/pipeline.js";

function setup(loggerLevel: LogLevel, callLevel: LogLevel) {
  const lines: string[] = [];
  const log = createJsonLogger(loggerLevel, { write: (l: string) => void lines.push(l) });
  return { observer: callLogObserver(log, callLevel), records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const call = {
  requestId: "5d1c2a3e-0000-4000-8000-000000000001",
  transport: "grpc",
  source: "127.0.0.1",
  startedAt: 0,
  region: "ap-guangzhou",
  route: undefined,
  identity: { uin: 100000000001n, name: "root", root: true, credential: "tok" },
  action: "kms:Encrypt",
  dispatched: true,
} as unknown as Call;

describe("the per-call log line", () => {
  it("is not written at the default levels (logger info, calls debug)", () => {
    const { observer, records } = setup("info", "debug");
    observer.onCallEnd(call, "Success", 1.25);
    observer.onCallEnd(call, "UnauthorizedOperation", 1.25);
    expect(records()).toEqual([]);
  });

  it("is written with its fields when the logger is at the call level", () => {
    const { observer, records } = setup("debug", "debug");
    observer.onCallEnd(call, "Success", 1.23456);
    expect(records()).toEqual([
      { level: "debug", time: expect.any(String), requestId: call.requestId, uin: "100000000001", action: "kms:Encrypt", transport: "grpc", code: "Success", latencyMs: 1.235, msg: "call" },
    ]);
  });

  it("is written as an error for InternalError whatever the levels, even with the logger at error", () => {
    const { observer, records } = setup("error", "debug");
    observer.onCallEnd(call, "Success", 1);
    observer.onCallEnd({ ...call, identity: undefined } as Call, "InternalError", 2);
    expect(records()).toEqual([expect.objectContaining({ level: "error", code: "InternalError", uin: "", msg: "call" })]);
  });
});
