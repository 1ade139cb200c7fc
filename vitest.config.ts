import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "native/target/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites each start their own nats-server; two cores, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ["default"],
    // Each worker answers the main process over RPC calls that time out after 60 s, so no test may
    // hold its event loop that long (long computations yield between steps, see
    // clinical/treatment/ga.test.ts). HMS_LOOP_REPORT=<file> (./run test sets it) records each file's longest block.
    setupFiles: process.env.HMS_LOOP_REPORT ? ["test/support/event-loop-probe.ts"] : [],
  },
});
