/**
 * Writes a white-box key's table files from a key you give, for trying the
 * device client and for interoperability checks (the service makes its own
 * keys and tables in CreateWhiteBoxKey):
 *
 *   npx tsx src/cli/whitebox-tables.ts --algorithm AES_256|SM4 --key <hex> --out DIR [--fingerprint ID]...
 *
 * DIR gets enc.b64 (EncryptKey) and dec.b64 (DecryptKey), base64 as the API
 * returns them; with --fingerprint, dec.b64 is bound to those devices.
 * Exit 0 done, 2 usage.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bindToFingerprints, generateWhiteBoxTables, whiteBoxConstruction, WHITE_BOX_ALGORITHMS } from "../crypto/whitebox/index.js";

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      algorithm: { type: "string" },
      key: { type: "string" },
      out: { type: "string" },
      fingerprint: { type: "string", multiple: true },
    },
  });
  const construction = whiteBoxConstruction(values.algorithm ?? "");
  if (!construction) throw new Error(`--algorithm must be one of ${WHITE_BOX_ALGORITHMS.join(", ")}`);
  const key = values.key ?? "";
  if (!new RegExp(`^[0-9a-fA-F]{${2 * construction.keyLength}}$`).test(key))
    throw new Error(`--key must be ${construction.keyLength} bytes of hex for ${construction.algorithm}`);
  if (!values.out) throw new Error("--out DIR is required");
  const started = performance.now();
  const set = generateWhiteBoxTables(construction.algorithm, Buffer.from(key, "hex"));
  const fingerprints = values.fingerprint ?? [];
  const dec = fingerprints.length > 0 ? bindToFingerprints(set.decryptTables, fingerprints) : set.decryptTables;
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, "enc.b64"), Buffer.from(set.encryptTables).toString("base64") + "\n");
  writeFileSync(join(values.out, "dec.b64"), Buffer.from(dec).toString("base64") + "\n");
  process.stderr.write(
    `wrote ${join(values.out, "enc.b64")} (${set.encryptTables.length} bytes) and ${join(values.out, "dec.b64")} (${dec.length} bytes) in ${Math.round(performance.now() - started)} ms\n`,
  );
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`whitebox-tables: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}
