#!/usr/bin/env node
// `npm run build`: every app entry bundled to JavaScript under dist/, keeping the source tree's
// layout (dist/apps/api/src/main.mjs) so paths taken relative to a module still hold. The
// workspace packages (TypeScript source) are bundled in; every npm dependency stays external
// and comes from a production install. Files read at run time are copied beside the bundles:
// the stock engine's Lua scripts and the SQL migrations.
import { cpSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist");

const benches = readdirSync(join(root, "apps/bench/src"))
  .filter((f) => f.endsWith(".bench.ts") || f === "profile-summary.ts")
  .map((f) => `apps/bench/src/${f}`);

/** What the production image runs, then the test tooling (compiled as well, run from source). */
export const ENTRIES = [
  "apps/api/src/main.ts",
  "apps/worker/src/main.ts",
  // loaded by the API and the worker only when tracing is on (packages/telemetry/src/start-telemetry.ts)
  "packages/telemetry/src/sdk.ts",
  "apps/worker/src/redrive.ts",
  "apps/worker/src/stock-rebuild.ts",
  "packages/db/src/migrate/cli.ts",
  "apps/loadgen/src/main.ts",
  "apps/loadgen/src/scale-out.ts",
  "apps/chaos/src/main.ts",
  ...benches,
];

// Workspace packages are source to bundle; anything else bare (hono, bullmq, pg…) is
// a dependency resolved at run time.
const externalDependencies = {
  name: "external-dependencies",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@order-flow/") || args.path.startsWith("node:")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: ENTRIES,
  outbase: ".",
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20.19",
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
  plugins: [externalDependencies],
  // Bundled CommonJS-style code that calls require() gets one that works in ESM.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

const luaDir = join(root, "packages/stock/src/lua");
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!output.endsWith(".mjs")) continue;
  // commands.ts reads ./lua/ next to the module that holds it: the bundle.
  if (Object.keys(meta.inputs).includes("packages/stock/src/commands.ts")) {
    cpSync(luaDir, join(root, dirname(output), "lua"), { recursive: true });
  }
}
// The migrate CLI reads ../../../../prisma/migrations from packages/db/src/migrate/.
cpSync(join(root, "prisma/migrations"), join(outdir, "prisma/migrations"), { recursive: true });

const bundles = Object.keys(result.metafile.outputs).filter((o) => o.endsWith(".mjs"));
console.log(`build: ${bundles.length} bundles in ${relative(root, outdir)}/ in ${Date.now() - started} ms`);
for (const b of bundles) console.log(`  ${b}`);
