// The system under test: API and worker processes in fixed slots (each slot keeps its port, so
// a killed process comes back where clients and probes already point), started as children of
// the chaos run and killed with it.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, onExitCleanup } from "./environment.ts";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
// Generous: on a busy 2-core machine a tsx start-up alone can take tens of seconds.
const READY_TIMEOUT_MS = 120_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Kind = "api" | "worker";

export type Slot = {
  name: string;
  kind: Kind;
  port: number;
  child: ChildProcess | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null;
  /** exits nobody asked for (a crash) */
  crashes: number;
  /** starts of this slot so far */
  starts: number;
};

export type SystemOptions = {
  baseEnv: Record<string, string | undefined>;
  env: Record<string, string>;
  logDir: string;
  apis: number;
  workers: number;
  log: (line: string) => void;
};

export class SystemUnderTest {
  readonly slots: Slot[] = [];
  private readonly logs: WriteStream[] = [];
  private readonly expected = new Set<ChildProcess>();
  private extraEnv: Record<string, string> = {};

  constructor(private readonly o: SystemOptions) {
    mkdirSync(o.logDir, { recursive: true });
    // Any exit of the chaos run takes the children with it.
    onExitCleanup(() => {
      for (const s of this.slots) if (isAlive(s.child)) s.child!.kill("SIGKILL");
    });
  }

  async init(): Promise<void> {
    for (let i = 1; i <= this.o.apis; i++) this.slots.push(await this.slot("api", i));
    for (let i = 1; i <= this.o.workers; i++) this.slots.push(await this.slot("worker", i));
  }

  private async slot(kind: Kind, n: number): Promise<Slot> {
    return { name: `${kind}-${n}`, kind, port: await freePort(), child: null, exited: null, crashes: 0, starts: 0 };
  }

  apis(): Slot[] {
    return this.slots.filter((s) => s.kind === "api");
  }
  workers(): Slot[] {
    return this.slots.filter((s) => s.kind === "worker");
  }
  apiUrls(): string[] {
    return this.apis().map((s) => `http://127.0.0.1:${s.port}`);
  }

  /** Settings for workers started from now on (the refund scenario), {} to reset. */
  setWorkerEnv(env: Record<string, string>): void {
    this.extraEnv = env;
  }

  /** Starts the slot's process (if not running) and waits until it answers. */
  async start(slot: Slot): Promise<void> {
    if (isAlive(slot.child)) return;
    slot.starts++;
    const entry = slot.kind === "api" ? "apps/api/src/main.ts" : "apps/worker/src/main.ts";
    const logFile = createWriteStream(join(this.o.logDir, `${slot.name}.log`), { flags: "a" });
    this.logs.push(logFile);
    // `node --import tsx` runs the app in this very process; tsx's CLI would run it in a
    // grandchild that a SIGKILL of the CLI leaves alive (apps/loadgen/src/cluster.ts saw it).
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...this.o.baseEnv,
        LOG_LEVEL: "warn",
        ...this.o.env,
        ...(slot.kind === "worker" ? this.extraEnv : {}),
        PORT: slot.kind === "api" ? String(slot.port) : "0",
        WORKER_METRICS_PORT: slot.kind === "worker" ? String(slot.port) : "0",
      },
    });
    child.stdout?.pipe(logFile, { end: false });
    child.stderr?.pipe(logFile, { end: false });
    slot.child = child;
    slot.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        if (!this.expected.has(child)) {
          slot.crashes++;
          this.o.log(`chaos: ${slot.name} (pid ${child.pid}) exited on its own (${signal ?? code}); see ${join(this.o.logDir, `${slot.name}.log`)}`);
        }
        resolve({ code, signal });
      }),
    );
    await this.waitReady(slot, child);
  }

  private async waitReady(slot: Slot, child: ChildProcess): Promise<void> {
    const path = slot.kind === "api" ? "/readyz" : "/healthz";
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!isAlive(child)) throw new Error(`${slot.name} exited before it was ready; see ${this.o.logDir}/${slot.name}.log`);
      try {
        const res = await fetch(`http://127.0.0.1:${slot.port}${path}`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(150);
    }
    throw new Error(`${slot.name} not ready after ${READY_TIMEOUT_MS / 1000}s`);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.start(s)));
  }

  /** kill -9: no shutdown hook runs; in-flight requests, jobs and transactions are cut off. */
  async kill9(slot: Slot): Promise<void> {
    const child = slot.child;
    if (!isAlive(child)) return;
    this.expected.add(child!);
    child!.kill("SIGKILL");
    await slot.exited;
  }

  /** SIGTERM; resolves with how long the process took to exit and how (SIGKILL after limitMs). */
  async terminate(slot: Slot, limitMs: number): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null; forced: boolean }> {
    const child = slot.child;
    if (!isAlive(child)) return { ms: 0, code: child?.exitCode ?? null, signal: child?.signalCode ?? null, forced: false };
    this.expected.add(child!);
    const t0 = Date.now();
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      child!.kill("SIGKILL");
    }, limitMs);
    child!.kill("SIGTERM");
    const { code, signal } = await slot.exited!;
    clearTimeout(timer);
    return { ms: Date.now() - t0, code, signal, forced };
  }

  /** Stops everything (SIGTERM, SIGKILL after 12 s). */
  async stopAll(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.terminate(s, 12_000)));
    for (const l of this.logs) l.end();
  }

  pid(slot: Slot): number | undefined {
    return isAlive(slot.child) ? slot.child!.pid : undefined;
  }
}

export function isAlive(child: ChildProcess | null): boolean {
  return !!child && child.exitCode === null && child.signalCode === null;
}
