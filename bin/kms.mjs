#!/usr/bin/env node
// The `kms` command. It runs the bundle `npm run build` makes (dist/kms.js);
// without one (a fresh clone before any build), it runs the TypeScript
// source through tsx, a little slower to start.
import { existsSync } from "node:fs";

const bundle = new URL("../dist/kms.js", import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/cli/kms/kms.ts", import.meta.url).href);
}
