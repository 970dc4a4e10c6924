import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{apps,packages}/*/{src,test}/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: more parallel files only adds contention against one PostgreSQL and Redis.
    maxWorkers: 2,
    // The JSON report lets .ci/run print its closing count.
    reporters: ["default", ["json", { outputFile: ".cache/vitest-report.json" }]],
  },
});
