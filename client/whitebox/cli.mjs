#!/usr/bin/env node
// @ts-check
/**
 * The white-box device client as a command (node ≥ 18, no dependencies):
 *
 *   node client/whitebox/cli.mjs decrypt --tables dec.b64 --iv <base64> --in ct.b64 [--out FILE]
 *   node client/whitebox/cli.mjs encrypt --tables enc.b64 [--iv <base64>] --in FILE
 *   node client/whitebox/cli.mjs info    --tables FILE
 *
 * --tables   a table file (DecryptKey or EncryptKey), base64 as the KMS returns it, or raw
 * --in       decrypt: the ciphertext in base64 (CipherText); encrypt: the plaintext bytes; "-" reads stdin
 * --fingerprint  this device's fingerprint, for bound tables (or WHITEBOX_FINGERPRINT)
 *
 * decrypt writes the plaintext bytes to stdout (or --out); encrypt prints
 * {"InitializationVector","CipherText"} as EncryptByWhiteBox answers, with a
 * random IV when none is given. Exit 0 done, 1 decryption failed (bad
 * padding), 2 could not run (usage, unreadable or refused tables).
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { decryptCbc, encryptCbc, openTables, PaddingError } from "./index.mjs";

const USAGE = `usage: whitebox <decrypt|encrypt|info> --tables FILE [options]
  decrypt --tables dec.b64 --iv <base64> --in ct.b64 [--out FILE] [--fingerprint ID]
  encrypt --tables enc.b64 [--iv <base64>] --in FILE [--fingerprint ID]
  info    --tables FILE [--fingerprint ID]`;

class UsageError extends Error {}

/** @param {string} path */
function read(path) {
  return path === "-" ? readFileSync(0) : readFileSync(path);
}

/** @param {string} text @param {string} what */
function base64(text, what) {
  const t = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) throw new UsageError(`${what} is not base64`);
  return new Uint8Array(Buffer.from(t, "base64"));
}

/** @param {Buffer} file */
function tablesInput(file) {
  const text = file.toString("latin1");
  return /^[A-Za-z0-9+/=\s]*$/.test(text) ? text : new Uint8Array(file);
}

/** @param {string[]} argv */
function run(argv) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tables: { type: "string" },
      iv: { type: "string" },
      in: { type: "string" },
      out: { type: "string" },
      fingerprint: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (values.help || positionals.length !== 1 || !["decrypt", "encrypt", "info"].includes(command ?? "")) throw new UsageError(USAGE);
  if (!values.tables) throw new UsageError("--tables is required");
  const fingerprint = values.fingerprint ?? process.env.WHITEBOX_FINGERPRINT;
  const tables = openTables(tablesInput(read(values.tables)), fingerprint === undefined ? {} : { fingerprint });

  if (command === "info") {
    const { algorithm, direction, tableId, externalInput, externalOutput } = tables;
    process.stdout.write(JSON.stringify({ algorithm, direction, tableId, externalInput, externalOutput }) + "\n");
    return;
  }
  if (!values.in) throw new UsageError("--in is required");
  if (command === "decrypt") {
    if (!values.iv) throw new UsageError("--iv is required to decrypt");
    const plaintext = decryptCbc(tables, base64(values.iv, "--iv"), base64(read(values.in).toString("latin1"), "--in"));
    if (values.out) writeFileSync(values.out, plaintext);
    else process.stdout.write(plaintext);
    return;
  }
  const iv = values.iv ? base64(values.iv, "--iv") : new Uint8Array(randomBytes(16));
  const ciphertext = encryptCbc(tables, iv, new Uint8Array(read(values.in)));
  process.stdout.write(
    JSON.stringify({ InitializationVector: Buffer.from(iv).toString("base64"), CipherText: Buffer.from(ciphertext).toString("base64") }) + "\n",
  );
}

try {
  run(process.argv.slice(2));
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`whitebox: ${message}\n`);
  process.exitCode = err instanceof PaddingError ? 1 : 2;
}
