/** Plain line logger on stderr. Never given plaintext, key material or secrets. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
}

function line(level: string, msg: string): string {
  return `${new Date().toISOString()} ${level} ${msg}\n`;
}

export const consoleLogger: Logger = {
  info: (msg) => process.stderr.write(line("INFO", msg)),
  warn: (msg) => process.stderr.write(line("WARN", msg)),
  error: (msg, err) => process.stderr.write(line("ERROR", err instanceof Error ? `${msg}: ${err.stack ?? err.message}` : msg)),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
