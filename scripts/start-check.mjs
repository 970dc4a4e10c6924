#!/usr/bin/env node
// Starts the system the way a user or the image does, proves it serves, stops it, and checks that
// every process is gone. Used by .ci/run and for the start-up figures in BENCHMARKS.md.
//
//   node scripts/start-check.mjs npm-start            `npm start` (its own process group) → /readyz
//                                                      → the README walkthrough → SIGTERM → all gone
//   node scripts/start-check.mjs compiled --dir DIR   DIR's dist/ (a production install): migrate,
//                                                      API + worker → ready → SIGTERM → exit 0
//   node scripts/start-check.mjs tsx                  the same from source through tsx (comparison)
//
// DATABASE_URL, REDIS_PREFIX, PORT and WORKER_METRICS_PORT come from the environment; the
// database and the prefix's Redis keys are removed at the end. Every step prints a line; the first
// that fails prints `start-check: FAILED at <step>: <why>` and the exit code is 1.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { walkthrough } from "./smoke.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [mode, ...rest] = process.argv.slice(2);
const dirFlag = rest.indexOf("--dir");
const prodDir = dirFlag >= 0 ? rest[dirFlag + 1] : null;
const env = process.env;
const port = Number(env.PORT ?? 3000);
const metricsPort = Number(env.WORKER_METRICS_PORT ?? port + 1);
const databaseUrl = env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/orders";
const redisPrefix = env.REDIS_PREFIX ?? "of";
const logDir = join(root, ".cache", "start-check");
const READY_MS = 90_000;
const STOP_MS = 10_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class StepError extends Error {}
const started = [];
let current = "setup";

async function step(name, fn) {
  current = name;
  const t0 = Date.now();
  const out = await fn();
  console.log(`start-check: ${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return out;
}

function portFree(p) {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(p, "0.0.0.0", () => server.close(() => done(true)));
  });
}

/** A process in a group of its own (so the group can be signalled and checked), output to a log. */
function launch(name, cmd, args, extraEnv = {}, cwd = root) {
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${mode}-${name}.log`));
  const child = spawn(cmd, args, { cwd, env: { ...env, ...extraEnv }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const proc = { name, child, exited, t0: Date.now(), logFile: join(logDir, `${mode}-${name}.log`) };
  started.push(proc);
  return proc;
}

/** Pids of the live (not zombie) processes whose process group is `pgid`. */
function groupMembers(pgid) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

async function waitHttp(url, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new StepError(`${proc.name} exited (${proc.child.signalCode ?? proc.child.exitCode}) before ready; log: ${proc.logFile}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return Date.now() - proc.t0;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(200);
  }
  throw new StepError(`${url} not 200 within ${timeoutMs / 1000} s (last: ${last}); log: ${proc.logFile}`);
}

/** SIGTERM to the process group; every member must be gone within STOP_MS. */
async function stopGroup(proc) {
  const pgid = proc.child.pid;
  const t0 = Date.now();
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {
    // already gone
  }
  while (Date.now() - t0 < STOP_MS) {
    if (groupMembers(pgid).length === 0) return { ms: Date.now() - t0, ...(await proc.exited) };
    await sleep(100);
  }
  const left = groupMembers(pgid).map((pid) => `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim()}`);
  throw new StepError(`still running ${STOP_MS / 1000} s after SIGTERM: ${left.join("; ")}`);
}

async function cleanup() {
  for (const proc of started) {
    if (groupMembers(proc.child.pid).length > 0) {
      try {
        process.kill(-proc.child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, "")}" WITH (FORCE)`);
  } catch (error) {
    console.error(`start-check: could not drop ${name}: ${error.message}`);
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(env.REDIS_URL ?? "redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const pattern of [`{${redisPrefix}}*`, `${redisPrefix}:*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length) await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } catch (error) {
    console.error(`start-check: could not remove Redis keys of ${redisPrefix}: ${error.message}`);
  } finally {
    redis.disconnect();
  }
}

async function checkPorts() {
  await step(`ports ${port} and ${metricsPort} are free`, async () => {
    for (const p of [port, metricsPort]) if (!(await portFree(p))) throw new StepError(`port ${p} is in use`);
  });
}

async function npmStart() {
  await checkPorts();
  const proc = launch("npm-start", "npm", ["start"]);
  await step("npm start: /readyz answers 200", () => waitHttp(`http://127.0.0.1:${port}/readyz`, proc, READY_MS));
  current = "README walkthrough";
  if (!(await walkthrough(`http://127.0.0.1:${port}`))) throw new StepError("see the smoke line above");
  const stop = await step("SIGTERM: every process gone", () => stopGroup(proc));
  console.log(`start-check: npm start stopped in ${stop.ms} ms (exit ${stop.signal ?? stop.code})`);
}

/** API + worker, from the compiled bundles or from source through tsx. */
async function apiAndWorker(kind) {
  await checkPorts();
  const cwd = kind === "compiled" ? prodDir : root;
  const node = kind === "compiled" ? [] : ["--import", "tsx"];
  const entry = (path) => (kind === "compiled" ? `dist/${path}.mjs` : `${path}.ts`);
  await step(`${kind}: migrate`, async () => {
    const migrate = launch(`${kind}-migrate`, process.execPath, [...node, entry("packages/db/src/migrate/cli")], {}, cwd);
    const { code, signal } = await migrate.exited;
    if (code !== 0) throw new StepError(`migrate exited ${signal ?? code}; log: ${migrate.logFile}`);
  });
  const api = launch(`${kind}-api`, process.execPath, [...node, entry("apps/api/src/main")], {}, cwd);
  const worker = launch(`${kind}-worker`, process.execPath, [...node, entry("apps/worker/src/main")], {}, cwd);
  // Both polled at once, so each figure is that process's own time to ready.
  const [apiMs, workerMs] = await step(`${kind}: API /readyz and worker /healthz 200`, () =>
    Promise.all([waitHttp(`http://127.0.0.1:${port}/readyz`, api, READY_MS), waitHttp(`http://127.0.0.1:${metricsPort}/healthz`, worker, READY_MS)]),
  );
  await sleep(1_000);
  const rss = { api: rssMb(api.child.pid), worker: rssMb(worker.child.pid) };
  for (const proc of [api, worker]) {
    const stop = await step(`${kind}: SIGTERM ${proc.name}`, () => stopGroup(proc));
    if (stop.code !== 0) throw new StepError(`${proc.name} exited ${stop.signal ?? stop.code} on SIGTERM; log: ${proc.logFile}`);
  }
  console.log(`start-check: ${kind} figures ${JSON.stringify({ readyMs: { api: apiMs, worker: workerMs }, rssMb: rss })}`);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.log(`start-check: FAILED at ${current}: interrupted by ${signal}`);
    void cleanup().finally(() => process.exit(1));
  });
}

let ok = true;
try {
  if (mode === "npm-start") await npmStart();
  else if (mode === "compiled" && prodDir) await apiAndWorker("compiled");
  else if (mode === "tsx") await apiAndWorker("tsx");
  else throw new StepError("usage: node scripts/start-check.mjs npm-start | compiled --dir DIR | tsx");
} catch (error) {
  ok = false;
  console.log(`start-check: FAILED at ${current}: ${error instanceof StepError ? error.message : (error?.stack ?? error)}`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);
