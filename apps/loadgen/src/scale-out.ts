// `pnpm scale:check`: the scale-out proof (issue 6). A fresh database and Redis prefix, 2 API
// and 3 worker processes, 2,000 orders of mixed flows through both APIs, one worker killed
// with SIGKILL halfway and replaced, then every order settled and the invariants checked.
// Everything it created is removed at the end, pass or fail. Exit code 1 on any violation.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadEnv } from "@order-flow/config";
import { parseDuration, parseMix, UsageError } from "./options.ts";
import type { ScratchCluster } from "./cluster.ts";
import { formatRunReport } from "./run-report.ts";
import { formatScaleOut, runScaleOut, type ScaleOutOptions } from "./scale-out-scenario.ts";

const USAGE = `usage: npm run scale:check -- [--apis 2] [--workers 3] [--orders 2000] [--rate 25] [--max-in-flight 150]
                        [--mix pay=60,…] [--payment-timeout 20] [--settle-timeout 180s] [--kill-at 0.5] [--keep-logs]`;

function parse(argv: string[]) {
  const values = new Map<string, string>();
  let keepLogs = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") continue;
    if (a === "--keep-logs") keepLogs = true;
    else if (a === "--help") throw new UsageError(USAGE);
    else if (a.startsWith("--") && argv[i + 1] !== undefined) values.set(a, argv[++i]!);
    else throw new UsageError(`unexpected argument ${a}\n${USAGE}`);
  }
  const num = (name: string, def: number) => {
    const n = Number(values.get(name) ?? def);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number`);
    return n;
  };
  return {
    apis: num("--apis", 2),
    workers: num("--workers", 3),
    orders: num("--orders", 2000),
    rate: num("--rate", 25),
    maxInFlight: num("--max-in-flight", 150),
    killAt: num("--kill-at", 0.5),
    paymentTimeoutSeconds: num("--payment-timeout", 20),
    settleTimeoutMs: parseDuration(values.get("--settle-timeout") ?? "180s"),
    ...(values.has("--mix") ? { mix: parseMix(values.get("--mix")!) } : {}),
    keepLogs,
  };
}

let args: ReturnType<typeof parse>;
try {
  args = parse(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const env = loadEnv();
const root = fileURLToPath(new URL("../../../", import.meta.url));
const logDir = join(root, ".cache", "scale-out", new Date().toISOString().replace(/[:.]/g, "-"));
const log = (line: string) => console.error(line);
const options: ScaleOutOptions = {
  ...args,
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  jwtSecret: env.JWT_SECRET,
  // The children inherit this environment (PATH, NODE_OPTIONS…) under the cluster's own settings.
  // eslint-disable-next-line no-restricted-properties
  baseEnv: process.env,
  logDir,
  log,
};

let cluster: ScratchCluster | null = null;
let interrupted = false;
// Ctrl-C or SIGTERM: remove what the run created instead of leaving it behind.
const interrupt = (signal: string) => {
  if (interrupted) process.exit(130);
  interrupted = true;
  log(`scale-out: ${signal}; stopping the processes and dropping the scratch database…`);
  void (cluster?.teardown() ?? Promise.resolve())
    .catch((error) => log(`scale-out: cleanup failed: ${(error as Error).message}`))
    .finally(() => process.exit(130));
};
process.on("SIGINT", () => interrupt("SIGINT"));
process.on("SIGTERM", () => interrupt("SIGTERM"));

const result = await runScaleOut({ ...options, onCluster: (c) => (cluster = c) });
if (result.load) console.log(formatRunReport(result.load));
console.log(formatScaleOut(result, options));
if (result.ok && !args.keepLogs) rmSync(logDir, { recursive: true, force: true });
else console.log(`process logs: ${logDir}`);
process.exitCode = result.ok ? 0 : 1;
