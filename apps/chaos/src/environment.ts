// A private PostgreSQL cluster and a private Redis server on free loopback ports, owned by one
// chaos run: the machine's shared 5432 / 6379 are used by other sessions and must never be
// stopped, flushed or restarted. Everything here is removed at the end, even on failure.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { freePort } from "@order-flow/loadgen";

export { freePort };

const PG_BIN = "/usr/lib/postgresql/15/bin";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


/** Synchronous clean-ups run on any exit (normal, thrown, signal) so nothing is left behind. */
const exitCleanups = new Set<() => void>();
let exitHooked = false;
export function onExitCleanup(fn: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.on("exit", () => {
      for (const f of [...exitCleanups].reverse()) {
        try {
          f();
        } catch {
          // best effort at exit
        }
      }
    });
  }
  exitCleanups.add(fn);
  return () => exitCleanups.delete(fn);
}

function run(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** `runuser -u postgres` when we are root (initdb refuses root); the plain binary otherwise. */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root ? ["runuser", ["-u", "postgres", "--", join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
}

export class PrivatePostgres {
  readonly dir: string;
  port = 0;
  private running = false;
  private removeHook: () => void = () => {};

  constructor() {
    this.dir = mkdtempSync("/tmp/of-chaos-pg-");
  }

  /** initdb + start; resolves with the server URL (database `postgres`). */
  async init(): Promise<void> {
    this.port = await freePort();
    // The exit hook stops the server and removes its directory whatever happens next.
    this.removeHook = onExitCleanup(() => this.removeSync());
    if (process.getuid?.() === 0) {
      const pw = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
      const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
      chownSync(this.dir, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
    }
    const [cmd, args] = pgCommand("initdb", ["-D", join(this.dir, "data"), "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
    const r = run(cmd, args);
    if (!r.ok) throw new Error(`initdb failed: ${r.output}`);
    await this.start();
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
    const [cmd, args] = pgCommand("pg_ctl", ["-D", join(this.dir, "data"), "-o", opts, "-l", join(this.dir, "server.log"), "-w", "start"]);
    const r = run(cmd, args);
    if (!r.ok) throw new Error(`pg_ctl start failed: ${r.output}`);
    this.running = true;
  }

  /** pg_ctl stop -m fast: connections are cut, the server is gone until start(). */
  async stop(): Promise<void> {
    const [cmd, args] = pgCommand("pg_ctl", ["-D", join(this.dir, "data"), "-w", "-m", "fast", "stop"]);
    const r = run(cmd, args);
    if (!r.ok) throw new Error(`pg_ctl stop failed: ${r.output}`);
    this.running = false;
  }

  async createDatabase(name: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.url("postgres") });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
  }

  /** Stops (immediate) and deletes the cluster. Idempotent. */
  removeSync(): void {
    if (existsSync(join(this.dir, "data", "postmaster.pid"))) {
      const [cmd, args] = pgCommand("pg_ctl", ["-D", join(this.dir, "data"), "-w", "-m", "immediate", "stop"]);
      run(cmd, args);
    }
    this.running = false;
    rmSync(this.dir, { recursive: true, force: true });
  }

  async remove(): Promise<void> {
    this.removeSync();
    this.removeHook();
  }

  get isRunning(): boolean {
    return this.running;
  }
}

export class PrivateRedis {
  readonly dir: string;
  port = 0;
  private child: ChildProcess | null = null;
  private removeHook: () => void = () => {};

  constructor() {
    this.dir = mkdtempSync("/tmp/of-chaos-redis-");
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async init(): Promise<void> {
    this.port = await freePort();
    this.removeHook = onExitCleanup(() => this.removeSync());
    await this.start();
  }

  async start(): Promise<void> {
    // No persistence of its own; stop() without data loss writes one RDB on purpose (SHUTDOWN SAVE).
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
        "--dir", this.dir, "--dbfilename", "dump.rdb", "--loglevel", "warning"],
      { stdio: "ignore" },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => {});
      try {
        await client.connect();
        if ((await client.ping()) === "PONG") return;
      } catch {
        // not up yet
      } finally {
        client.disconnect();
      }
      await sleep(50);
    }
    throw new Error("redis-server did not answer within 10 s");
  }

  private async command<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on("error", () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      client.disconnect();
    }
  }

  /**
   * Stops the server. keepData: SHUTDOWN SAVE, so the restart finds every key (a plain stop);
   * otherwise FLUSHALL first and SHUTDOWN NOSAVE (the data-loss scenario).
   */
  async stop(keepData: boolean): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
    await this.command(async (r) => {
      if (!keepData) await r.flushall();
      await r.call("SHUTDOWN", keepData ? "SAVE" : "NOSAVE").catch(() => {});
    }).catch(() => child.kill("SIGKILL"));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    if (!keepData) rmSync(join(this.dir, "dump.rdb"), { force: true });
    this.child = null;
  }

  get isRunning(): boolean {
    return !!this.child && this.child.exitCode === null;
  }

  async dbsize(): Promise<number> {
    return this.command((r) => r.dbsize());
  }

  /** A client for checks (queue keys); the caller disconnects it. */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 2 });
  }

  removeSync(): void {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGKILL");
    this.child = null;
    rmSync(this.dir, { recursive: true, force: true });
  }

  async remove(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    this.removeSync();
    this.removeHook();
  }
}
