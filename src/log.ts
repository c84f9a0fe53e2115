/**
 * Logging. Every module logs through the small `Logger` interface; the process
 * writes structured JSON lines (pino) on stderr, one object per line with
 * `time`, `level` and `msg`, plus fields where a record has them (the per-call
 * line: requestId, uin, action, transport, code, latencyMs). Never given
 * plaintext, key material or secrets.
 */
import { pino, type DestinationStream, type Logger as Pino } from "pino";

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

/** Levels an operator can choose (KMS_LOG_LEVEL); errors are always written. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Values of a structured record: flat, no objects, so nothing unplanned can ride along. */
export type LogFields = Record<string, string | number | boolean>;

/** The JSON logger: a Logger that also writes structured records and has a level. */
export interface JsonLogger extends Logger {
  debug(msg: string): void;
  /** Writes one record with `fields` at `level`, if that level is enabled. */
  write(level: LogLevel, fields: LogFields, msg: string): void;
  enabled(level: LogLevel): boolean;
  setLevel(level: LogLevel): void;
}

function errorText(msg: string, err: unknown): string {
  return err instanceof Error ? `${msg}: ${err.stack ?? err.message}` : msg;
}

class PinoLogger implements JsonLogger {
  constructor(private readonly p: Pino<never>) {}

  debug(msg: string): void {
    this.p.debug(msg);
  }
  info(msg: string): void {
    this.p.info(msg);
  }
  warn(msg: string): void {
    this.p.warn(msg);
  }
  error(msg: string, err?: unknown): void {
    this.p.error(errorText(msg, err));
  }
  write(level: LogLevel, fields: LogFields, msg: string): void {
    if (this.p.isLevelEnabled(level)) this.p[level](fields, msg);
  }
  enabled(level: LogLevel): boolean {
    return this.p.isLevelEnabled(level);
  }
  setLevel(level: LogLevel): void {
    this.p.level = level;
  }
}

/**
 * A JSON logger writing to `destination` (stderr by default, buffered and
 * flushed at exit). Levels appear by name ("level":"info"); no pid or
 * hostname, which the process supervisor knows.
 */
export function createJsonLogger(level: LogLevel = "info", destination?: DestinationStream): JsonLogger {
  const p = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
  return new PinoLogger(p as Pino<never>);
}

export function isJsonLogger(log: Logger): log is JsonLogger {
  return log instanceof PinoLogger;
}

/** The process's logger: JSON lines on stderr at info until the configuration sets KMS_LOG_LEVEL. */
export const consoleLogger: JsonLogger = createJsonLogger("info");

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
