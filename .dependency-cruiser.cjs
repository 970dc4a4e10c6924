// Package boundaries (npm run lint): what docs/ARCHITECTURE.md and the README's layout claim.
// Imports are resolved to real files, so a workspace package counts by where its code lives.
const TESTS = "\\.test\\.ts$|/test/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "domain-no-io",
      comment: "packages/domain is pure: no Node built-in (fs, net, crypto…), no I/O library.",
      severity: "error",
      from: { path: "^packages/domain/", pathNot: TESTS },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "domain-imports-zod-only",
      comment: "packages/domain imports no library but zod and no other workspace package.",
      severity: "error",
      from: { path: "^packages/domain/", pathNot: TESTS },
      to: { pathNot: ["^packages/domain/", "/node_modules/zod/"] },
    },
    {
      name: "stock-talks-to-redis-only",
      comment:
        "packages/stock src does not import packages/db: it reaches its durable copy through the " +
        "ReservationLedger port (packages/domain), which the apps wire to packages/db's implementation.",
      severity: "error",
      from: { path: "^packages/stock/src/" },
      to: { path: "^packages/db/" },
    },
    {
      name: "packages-never-import-apps",
      severity: "error",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "apps-never-import-each-other",
      comment:
        "An app imports packages only. Two exceptions, for test tooling: bench and chaos drive the " +
        "loadgen as a library (next rule), and the API's system tests run a worker in-process.",
      severity: "error",
      from: { path: "^apps/([^/]+)/", pathNot: ["^apps/(bench|chaos)/", "^apps/api/test/"] },
      to: { path: "^apps/", pathNot: "^apps/$1/" },
    },
    {
      name: "test-tooling-imports-loadgen-only",
      comment: "bench and chaos may import @order-flow/loadgen, and no other app.",
      severity: "error",
      from: { path: "^apps/(bench|chaos)/" },
      to: { path: "^apps/", pathNot: ["^apps/$1/", "^apps/loadgen/src/"] },
    },
    {
      name: "api-tests-import-worker-only",
      comment: "apps/api/test may run the worker (@order-flow/worker), and no other app; apps/api/src imports no app.",
      severity: "error",
      from: { path: "^apps/api/test/" },
      to: { path: "^apps/", pathNot: ["^apps/api/", "^apps/worker/src/"] },
    },
    {
      name: "no-circular",
      comment: "A cycle between modules makes the load order matter and the layers meaningless.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import the checker cannot resolve could hide a crossed boundary.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["/generated/", "/dist/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".mts", ".js", ".mjs", ".cjs", ".json"],
    },
  },
};
