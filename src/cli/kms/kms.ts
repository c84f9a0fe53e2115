/**
 * The process entry of `kms` (bundled to dist/kms.js by `npm run build`;
 * bin/kms.mjs runs the bundle, or this file through tsx when there is none).
 */
import { runKms } from "./main.js";

const code = await runKms(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
process.exitCode = code;
// Nothing should be left open (the HTTP/2 session is closed, stdin destroyed
// when read); if something is, the answer is already out: do not hang.
setTimeout(() => process.exit(code), 2000).unref();
