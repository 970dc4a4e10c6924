import { defineConfig } from "vitest/config";

// Tests that need neither PostgreSQL nor Redis: co-located with the code they test (src/), plus
// the chaos suite's own argument and report tests. `npm run test:unit` runs only these.
const UNIT = ["{apps,packages}/*/src/**/*.test.ts", "apps/chaos/test/**/*.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // A test that asserts nothing is a defect: it fails.
    expect: { requireAssertions: true },
    // Two cores: more parallel files only adds contention against one PostgreSQL and Redis.
    maxWorkers: 2,
    // The JSON report lets .ci/run print its closing count.
    reporters: ["default", ["json", { outputFile: ".cache/vitest-report.json" }]],
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      { extends: true, test: { name: "integration", include: ["{apps,packages}/*/test/**/*.test.ts"], exclude: UNIT } },
    ],
  },
});
