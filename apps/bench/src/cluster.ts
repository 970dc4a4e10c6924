// A throwaway deployment for one benchmark: a fresh database and Redis prefix, API and worker
// processes spawned on loopback ports, and a teardown that removes all of it, even on failure.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "@order-flow/db/migrate";
import pg from "pg";
import { deleteKeysByPrefix, dropDatabase, freePort } from "@order-flow/loadgen";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MIGRATIONS_DIR = join(ROOT, "prisma", "migrations");
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

// A benchmark is tooling, like the cli/ scripts: it reads its own two overrides and hands PATH and
// HOME to the processes it spawns; the system's settings go through their env explicitly.
// eslint-disable-next-line no-restricted-properties
const ENV = process.env;
export const SERVER_URL = ENV.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = ENV.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
/** OTEL_* passed on as given: a run with an OTLP endpoint set measures the cost of tracing. */
const TRACING_ENV = Object.fromEntries(Object.entries(ENV).filter(([key]) => key.startsWith("OTEL_")));

export type BenchProcess = { name: string; kind: "api" | "worker"; port: number; child: ChildProcess; exited: Promise<void> };

export type ClusterOptions = {
  /** extra env for every process (ORDER_PAYMENT_TIMEOUT_SECONDS, WORKER_CONCURRENCY, …) */
  env?: Record<string, string>;
  /** directory for .cpuprofile files; set = every process runs with --cpu-prof */
  cpuProfDir?: string;
};


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class BenchCluster {
  readonly id = randomBytes(4).toString("hex");
  readonly databaseName = `of_bench_${this.id}`;
  readonly redisPrefix = `ofbench-${this.id}`;
  readonly databaseUrl: string;
  readonly redisUrl = REDIS_URL;
  readonly jwtSecret = randomBytes(24).toString("hex");
  readonly webhookSecret = randomBytes(24).toString("hex");
  readonly logDir: string;
  readonly processes: BenchProcess[] = [];
  #logs: WriteStream[] = [];
  #created = false;
  #pool: pg.Pool | null = null;

  constructor(private readonly options: ClusterOptions = {}) {
    const url = new URL(SERVER_URL);
    url.pathname = `/${this.databaseName}`;
    this.databaseUrl = url.toString();
    this.logDir = join(tmpdir(), "order-flow-bench", this.id);
    mkdirSync(this.logDir, { recursive: true });
  }

  async createDatabase(): Promise<void> {
    this.#created = true;
    await migrate({ databaseUrl: this.databaseUrl, migrationsDir: MIGRATIONS_DIR });
  }

  /** A small pool on the scratch database for the benchmark's own reads. */
  get db(): pg.Pool {
    this.#pool ??= new pg.Pool({ connectionString: this.databaseUrl, max: 4 });
    return this.#pool;
  }

  apiUrl(): string {
    const api = this.processes.find((p) => p.kind === "api");
    if (!api) throw new Error("no API process");
    return `http://127.0.0.1:${api.port}`;
  }

  async start(kind: "api" | "worker"): Promise<BenchProcess> {
    const name = `${kind}-${this.processes.filter((p) => p.kind === kind).length + 1}`;
    const port = await freePort();
    const logFile = createWriteStream(join(this.logDir, `${name}.log`));
    this.#logs.push(logFile);
    // `node --import tsx` rather than the tsx CLI: one process, so its pid is the one measured
    // (VmRSS) and profiled (--cpu-prof is refused in NODE_OPTIONS, so it goes on the command line).
    const profFlags = this.options.cpuProfDir
      ? ["--cpu-prof", `--cpu-prof-dir=${join(this.options.cpuProfDir, name)}`]
      : [];
    const entry = kind === "api" ? "apps/api/src/main.ts" : "apps/worker/src/main.ts";
    const child = spawn(process.execPath, ["--import", "tsx", ...profFlags, entry], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: ENV.PATH,
        HOME: ENV.HOME,
        LOG_LEVEL: "warn",
        RATE_LIMIT_PER_MINUTE: "0",
        ...TRACING_ENV,
        ...this.options.env,
        DATABASE_URL: this.databaseUrl,
        REDIS_URL: REDIS_URL,
        REDIS_PREFIX: this.redisPrefix,
        JWT_SECRET: this.jwtSecret,
        PAYMENT_WEBHOOK_SECRET: this.webhookSecret,
        PORT: kind === "api" ? String(port) : "0",
        WORKER_METRICS_PORT: kind === "worker" ? String(port) : "0",
      },
    });
    child.stdout?.pipe(logFile, { end: false });
    child.stderr?.pipe(logFile, { end: false });
    const proc: BenchProcess = {
      name,
      kind,
      port,
      child,
      exited: new Promise((resolve) => child.once("exit", () => resolve())),
    };
    this.processes.push(proc);
    await this.#waitReady(proc);
    return proc;
  }

  async #waitReady(proc: BenchProcess): Promise<void> {
    const path = proc.kind === "api" ? "/readyz" : "/healthz";
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`${proc.name} exited before it was ready; see ${join(this.logDir, `${proc.name}.log`)}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${proc.port}${path}`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${proc.name} not ready after ${READY_TIMEOUT_MS / 1000}s`);
  }

  /** VmRSS of a process in MiB (from /proc), or null once it has exited. */
  rssMiB(proc: BenchProcess): number | null {
    try {
      const status = readFileSync(`/proc/${proc.child.pid}/status`, "utf8");
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
      return kb ? Number(kb) / 1024 : null;
    } catch {
      return null;
    }
  }

  /** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
  cpuSeconds(proc: BenchProcess): number {
    try {
      const stat = readFileSync(`/proc/${proc.child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    } catch {
      return NaN;
    }
  }

  /** Committed transactions of the scratch database so far (pg_stat_database). */
  async commits(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1`, [this.databaseName]);
    return Number(rows[0]?.n ?? NaN);
  }

  /** Stops the processes (SIGTERM, SIGKILL after a grace period). */
  async stopProcesses(): Promise<void> {
    const alive = this.processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of alive) p.child.kill("SIGTERM");
    await Promise.all(
      alive.map(async (p) => {
        const timer = setTimeout(() => p.child.kill("SIGKILL"), STOP_GRACE_MS);
        await p.exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Processes, database and keys: all gone, whatever state the run ended in. */
  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    await this.stopProcesses().catch((e: unknown) => errors.push(e));
    for (const l of this.#logs) l.end();
    if (this.#pool) await this.#pool.end().catch((e: unknown) => errors.push(e));
    await deleteKeysByPrefix(REDIS_URL, this.redisPrefix).catch((e: unknown) => errors.push(e));
    if (this.#created) await dropDatabase(SERVER_URL, this.databaseName).catch((e: unknown) => errors.push(e));
    if (errors.length) throw new AggregateError(errors, "bench teardown incomplete");
  }
}

/** Runs `body` with a cluster and always tears it down; SIGINT/SIGTERM tear down too. */
export async function withCluster<T>(options: ClusterOptions, body: (cluster: BenchCluster) => Promise<T>): Promise<T> {
  const cluster = new BenchCluster(options);
  const onSignal = () => {
    void cluster.teardown().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await cluster.createDatabase();
    return await body(cluster);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cluster.teardown();
  }
}
