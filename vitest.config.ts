import { defineConfig } from "vitest/config";
import { isPostgresDriverLateWrite } from "./shared/known-library-faults.ts";

// Suites start real Postgres/Redis/NATS processes; keep them few at a time on a 2-core machine.
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".data/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
    // Tests that kill a cell's Postgres can trip a known fault of the driver (see
    // shared/known-library-faults.ts); the processes guard against it, and so does the test run.
    onUnhandledError: (error) => (isPostgresDriverLateWrite(error) ? false : undefined),
  },
});
