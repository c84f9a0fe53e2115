/**
 * White-box keys: table sizes, generation and loading time, and table-based
 * CBC decryption speed next to node:crypto with the key. `whiteBoxBench()` is
 * the hook for `npm run bench`'s table; by hand:
 *   npx tsx bench/whitebox.ts
 */
import { createDecipheriv, randomBytes } from "node:crypto";
import { decryptCbc, openTables } from "../client/whitebox/index.mjs";
import { encryptWhiteBoxCbc, generateWhiteBoxKey, generateWhiteBoxTables, whiteBoxConstruction, WHITE_BOX_ALGORITHMS, type WhiteBoxAlgorithm } from "../src/crypto/whitebox/index.js";
import { opsPerSecond } from "./rate.js";
import { invokedDirectly } from "../src/cli/invoked.js";

export interface WhiteBoxBenchRow {
  algorithm: WhiteBoxAlgorithm;
  /** Size of one table file (EncryptKey and DecryptKey are the same size). */
  tableBytes: number;
  /** The same as base64, as the API returns it. */
  tableBase64Bytes: number;
  /** Median wall time to generate both files (with their self-checks). */
  generateMs: number;
  /** Median CPU time of the same (steadier than wall time on a shared machine). */
  generateCpuMs: number;
  /** Time for a device to open (check and load) the DecryptKey file. */
  openMs: number;
  /** CBC decryption of `messageBytes` messages with the tables, bytes per second. */
  tableDecryptBytesPerSecond: number;
  /** The same with node:crypto and the key. */
  nodeDecryptBytesPerSecond: number;
  /** tables ÷ node:crypto. */
  ratio: number;
  messageBytes: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Measures both algorithms; `seconds` per rate measurement, `generations` timed generations each. */
export function whiteBoxBench(options: { seconds?: number; generations?: number; messageBytes?: number } = {}): WhiteBoxBenchRow[] {
  const seconds = options.seconds ?? 2;
  const generations = options.generations ?? 5;
  const messageBytes = options.messageBytes ?? 4096;
  return WHITE_BOX_ALGORITHMS.map((algorithm) => {
    const key = generateWhiteBoxKey(algorithm);
    const times: number[] = [];
    const cpu: number[] = [];
    let set = generateWhiteBoxTables(algorithm, key); // warm-up
    for (let i = 0; i < generations; i++) {
      const started = performance.now();
      const startedCpu = process.cpuUsage();
      set = generateWhiteBoxTables(algorithm, key);
      const used = process.cpuUsage(startedCpu);
      times.push(performance.now() - started);
      cpu.push((used.user + used.system) / 1000);
    }
    const openStarted = performance.now();
    const tables = openTables(set.decryptTables);
    const openMs = performance.now() - openStarted;
    const { iv, ciphertext } = encryptWhiteBoxCbc(algorithm, key, randomBytes(messageBytes));
    const cbc = whiteBoxConstruction(algorithm)!.cbcCipher;
    const table = opsPerSecond(() => decryptCbc(tables, iv, ciphertext), seconds) * messageBytes;
    const node = opsPerSecond(() => {
      const d = createDecipheriv(cbc, key, iv);
      return Buffer.concat([d.update(ciphertext), d.final()]);
    }, seconds) * messageBytes;
    return {
      algorithm,
      tableBytes: set.decryptTables.length,
      tableBase64Bytes: Math.ceil(set.decryptTables.length / 3) * 4,
      generateMs: median(times),
      generateCpuMs: median(cpu),
      openMs,
      tableDecryptBytesPerSecond: table,
      nodeDecryptBytesPerSecond: node,
      ratio: table / node,
      messageBytes,
    };
  });
}

if (invokedDirectly(import.meta.url)) {
  const mb = (x: number) => `${(x / 1e6).toFixed(2)} MB/s`;
  console.log(`Node ${process.version}, one core, ${4096}-byte CBC messages\n`);
  for (const r of whiteBoxBench()) {
    console.log(
      `${r.algorithm.padEnd(8)} tables ${r.tableBytes} B (base64 ${r.tableBase64Bytes} B), generate ${r.generateMs.toFixed(0)} ms (CPU ${r.generateCpuMs.toFixed(0)} ms), open ${r.openMs.toFixed(1)} ms, ` +
        `decrypt ${mb(r.tableDecryptBytesPerSecond)} vs node:crypto ${mb(r.nodeDecryptBytesPerSecond)} (${(r.ratio * 100).toFixed(2)}%)`,
    );
  }
}
