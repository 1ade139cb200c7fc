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
  },
});
