import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites start their own servers on ephemeral ports; keep parallelism modest on 2 cores.
    maxWorkers: 2,
  },
});
