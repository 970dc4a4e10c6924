// A throwaway deployment on this machine: a fresh database and Redis prefix, API and worker
// processes spawned one by one (so a single worker can be killed), and a teardown that
// removes all of it. Used by the scale-out script and the loadgen test.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "@order-flow/db/migrate";
import { Redis } from "ioredis";
import pg from "pg";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MIGRATIONS_DIR = join(ROOT, "prisma", "migrations");
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 12_000;

export type ClusterOptions = {
  /** PostgreSQL server to create the scratch database on (its path is ignored) */
  databaseUrl: string;
  redisUrl: string;
  /** JWT_SECRET the processes verify and the loadgen signs with */
  jwtSecret: string;
  /** the environment every process inherits (PATH etc.), before the cluster's own settings */
  baseEnv: Record<string, string | undefined>;
  /** extra settings for every process (ORDER_PAYMENT_TIMEOUT_SECONDS, …) */
  env?: Record<string, string>;
  /** directory for the processes' logs */
  logDir: string;
  log?: (line: string) => void;
};

export type ManagedProcess = {
  name: string;
  kind: "api" | "worker";
  port: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** an exit the cluster did not ask for */
  unexpectedExit: boolean;
};

/** A free loopback port (bound and released; a race with another binder is unlikely and loud). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ScratchCluster {
  readonly id = randomBytes(4).toString("hex");
  readonly databaseName = `of_scale_${this.id}`;
  readonly redisPrefix = `ofscale-${this.id}`;
  readonly databaseUrl: string;
  readonly processes: ManagedProcess[] = [];
  private readonly logs: WriteStream[] = [];
  private counters = { api: 0, worker: 0 };
  private readonly log: (line: string) => void;
  private created = false;
  private stopping = false;
  /** processes killed on purpose (kill9), whose exit is expected */
  private readonly killed = new Set<ChildProcess>();

  constructor(private readonly options: ClusterOptions) {
    const url = new URL(options.databaseUrl);
    url.pathname = `/${this.databaseName}`;
    this.databaseUrl = url.toString();
    this.log = options.log ?? (() => {});
    mkdirSync(options.logDir, { recursive: true });
  }

  /** Creates and migrates the database (the same migrator as `pnpm db:migrate`). */
  async createDatabase(): Promise<void> {
    this.created = true;
    await migrate({ databaseUrl: this.databaseUrl, migrationsDir: MIGRATIONS_DIR });
  }

  apis(): ManagedProcess[] {
    return this.processes.filter((p) => p.kind === "api" && p.child.exitCode === null && p.child.signalCode === null);
  }

  workers(): ManagedProcess[] {
    return this.processes.filter((p) => p.kind === "worker" && p.child.exitCode === null && p.child.signalCode === null);
  }

  apiUrls(): string[] {
    return this.apis().map((p) => `http://127.0.0.1:${p.port}`);
  }

  /** Spawns one API or worker process with its own port (and `env` on top of the cluster's); resolves once it answers. */
  async start(kind: "api" | "worker", env: Record<string, string> = {}): Promise<ManagedProcess> {
    const n = ++this.counters[kind];
    const name = `${kind}-${n}`;
    const port = await freePort();
    const entry = kind === "api" ? "apps/api/src/main.ts" : "apps/worker/src/main.ts";
    const logFile = createWriteStream(join(this.options.logDir, `${name}.log`));
    this.logs.push(logFile);
    // `node --import tsx` runs the app in this very process. tsx's CLI would run it in a
    // grandchild that a SIGKILL of the CLI leaves alive, orphaned (seen: kill -9 killed nothing).
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...this.options.baseEnv,
        LOG_LEVEL: "warn",
        ...this.options.env,
        ...env,
        DATABASE_URL: this.databaseUrl,
        REDIS_URL: this.options.redisUrl,
        REDIS_PREFIX: this.redisPrefix,
        JWT_SECRET: this.options.jwtSecret,
        PORT: kind === "api" ? String(port) : "0",
        WORKER_METRICS_PORT: kind === "worker" ? String(port) : "0",
      },
    });
    child.stdout?.pipe(logFile, { end: false });
    child.stderr?.pipe(logFile, { end: false });
    const proc: ManagedProcess = {
      name,
      kind,
      port,
      child,
      unexpectedExit: false,
      exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    };
    this.processes.push(proc);
    void proc.exited.then(({ code, signal }) => {
      if (proc.unexpectedExit) this.log(`${name} exited unexpectedly (${signal ?? code}); log: ${join(this.options.logDir, `${name}.log`)}`);
    });
    child.once("exit", () => {
      if (!this.stopping && !this.killed.has(child)) proc.unexpectedExit = true;
    });
    await this.waitReady(proc);
    return proc;
  }

  private async waitReady(proc: ManagedProcess): Promise<void> {
    const path = proc.kind === "api" ? "/readyz" : "/healthz";
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`${proc.name} exited before it was ready; see ${join(this.options.logDir, `${proc.name}.log`)}`);
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

  /** kill -9: no shutdown hook runs, in-flight jobs and transactions are cut off. */
  async kill9(proc: ManagedProcess): Promise<void> {
    this.killed.add(proc.child);
    proc.child.kill("SIGKILL");
    await proc.exited;
  }

  /** Stops every process (SIGTERM, SIGKILL after a grace period), then drops the database and keys. */
  async teardown(): Promise<{ keysRemoved: number }> {
    this.stopping = true;
    const alive = this.processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of alive) p.child.kill("SIGTERM");
    await Promise.all(
      alive.map(async (p) => {
        const timer = setTimeout(() => p.child.kill("SIGKILL"), STOP_GRACE_MS);
        await p.exited;
        clearTimeout(timer);
      }),
    );
    for (const l of this.logs) l.end();
    let keysRemoved = 0;
    const errors: unknown[] = [];
    try {
      keysRemoved = await deleteKeysByPrefix(this.options.redisUrl, this.redisPrefix);
    } catch (error) {
      errors.push(error);
    }
    if (this.created) {
      try {
        await dropDatabase(this.options.databaseUrl, this.databaseName);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length) throw new AggregateError(errors, "cluster teardown incomplete");
    return { keysRemoved };
  }
}

/** SCAN + UNLINK of this deployment's keys: "{prefix}…" (queues) and "prefix:…" (stock). Never FLUSHALL. */
export async function deleteKeysByPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let removed = 0;
  try {
    for (const pattern of [`{${prefix}}*`, `${prefix}:*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length) removed += await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
  return removed;
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
