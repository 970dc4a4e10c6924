// The scale-out proof as a function: a scratch deployment of several API and worker
// processes, mixed load through all of them, one worker killed with SIGKILL halfway and a
// new one started, then settle + invariants. The script and the test both run it.
import { LocalStripeServer } from "@order-flow/payments/testing";
import { formatViolations, type Violation } from "./check-invariants.ts";
import { ScratchCluster, type ManagedProcess } from "./cluster.ts";
import { DEFAULT_MIX, type Mix } from "./options.ts";
import { runLoad, type LoadResult } from "./run-load.ts";

export type ScaleOutOptions = {
  apis: number;
  workers: number;
  orders: number;
  rate: number;
  maxInFlight: number;
  mix?: Mix;
  /** share of the orders created when the worker is killed */
  killAt: number;
  /** ORDER_PAYMENT_TIMEOUT_SECONDS of the processes: abandoned orders settle after it */
  paymentTimeoutSeconds: number;
  settleTimeoutMs: number;
  /** PostgreSQL server (a fresh database is created on it) */
  databaseUrl: string;
  redisUrl: string;
  jwtSecret: string;
  baseEnv: Record<string, string | undefined>;
  logDir: string;
  seed?: number;
  log: (line: string) => void;
  /** progress line target; null for none */
  progress?: NodeJS.WriteStream | null;
  /** extra settings for every process */
  env?: Record<string, string>;
  /** PAYMENT_GATEWAY=stripe against a local Stripe-compatible server started for the run */
  stripe?: boolean;
  /** hands out the cluster as soon as it exists (the CLI tears it down on Ctrl-C) */
  onCluster?: (cluster: ScratchCluster) => void;
};

export type ScaleOutResult = {
  ok: boolean;
  violations: Violation[];
  load: LoadResult | null;
  killed: { name: string; atOrder: number; at: number } | null;
  replacement: { name: string; readyAfterMs: number } | null;
  timings: Record<"setup" | "load" | "settle" | "check" | "teardown" | "total", number>;
  databaseName: string;
  redisPrefix: string;
  keysRemoved: number;
  error: string | null;
};

export async function runScaleOut(o: ScaleOutOptions): Promise<ScaleOutResult> {
  const t0 = Date.now();
  const stripeWebhookSecret = "whsec_scale_out_local";
  const stripe = o.stripe ? await LocalStripeServer.start({ webhookSecret: stripeWebhookSecret }) : null;
  const cluster = new ScratchCluster({
    databaseUrl: o.databaseUrl,
    redisUrl: o.redisUrl,
    jwtSecret: o.jwtSecret,
    baseEnv: o.baseEnv,
    logDir: o.logDir,
    log: o.log,
    env: {
      ORDER_PAYMENT_TIMEOUT_SECONDS: String(o.paymentTimeoutSeconds),
      // The proof is about correctness under concurrency, not the per-user limiter.
      RATE_LIMIT_PER_MINUTE: "0",
      ...(stripe
        ? {
            PAYMENT_GATEWAY: "stripe",
            STRIPE_SECRET_KEY: "sk_test_scale_out_local",
            STRIPE_WEBHOOK_SECRET: stripeWebhookSecret,
            STRIPE_API_BASE: stripe.url,
          }
        : {}),
      ...o.env,
    },
  });
  o.onCluster?.(cluster);
  const result: ScaleOutResult = {
    ok: false,
    violations: [],
    load: null,
    killed: null,
    replacement: null,
    timings: { setup: 0, load: 0, settle: 0, check: 0, teardown: 0, total: 0 },
    databaseName: cluster.databaseName,
    redisPrefix: cluster.redisPrefix,
    keysRemoved: 0,
    error: null,
  };
  let killAndReplace: Promise<void> | null = null;
  try {
    o.log(`scale-out: database ${cluster.databaseName}, Redis prefix ${cluster.redisPrefix}, logs in ${o.logDir}`);
    await cluster.createDatabase();
    const starts: Promise<ManagedProcess>[] = [];
    for (let i = 0; i < o.apis; i++) starts.push(cluster.start("api"));
    for (let i = 0; i < o.workers; i++) starts.push(cluster.start("worker"));
    const started = await Promise.all(starts);
    // Stripe has one webhook endpoint per account: the first API's.
    if (stripe) stripe.webhookTarget = `${cluster.apiUrls()[0]}/webhooks/stripe`;
    result.timings.setup = Date.now() - t0;
    o.log(
      `scale-out: ready in ${(result.timings.setup / 1000).toFixed(1)}s: ` +
        started.map((p) => `${p.name} (pid ${p.child.pid}, :${p.port})`).join(", "),
    );

    const killThreshold = Math.max(1, Math.floor(o.orders * o.killAt));
    const loadStart = Date.now();
    result.load = await runLoad(
      {
        apis: cluster.apiUrls(),
        rate: o.rate,
        orders: o.orders,
        mix: o.mix ?? { ...DEFAULT_MIX },
        maxInFlight: o.maxInFlight,
        stores: 2,
        products: 5,
        stock: 100_000,
        customers: 200,
        check: true,
        settleTimeoutMs: o.settleTimeoutMs,
        databaseUrl: cluster.databaseUrl,
        jwtSecret: o.jwtSecret,
        seed: o.seed ?? Date.now() % 2 ** 31,
        plain: true,
        ...(stripe ? { stripeApiBase: stripe.url } : {}),
      },
      {
        progress: o.progress === undefined ? process.stderr : o.progress,
        log: o.log,
        onOrderCreated: (count) => {
          if (killAndReplace || count < killThreshold) return;
          const victim = cluster.workers()[Math.min(1, cluster.workers().length - 1)];
          if (!victim) return;
          killAndReplace = (async () => {
            await cluster.kill9(victim);
            result.killed = { name: victim.name, atOrder: count, at: Date.now() - loadStart };
            o.log(`scale-out: kill -9 ${victim.name} (pid ${victim.child.pid}) after ${count} orders`);
            const replacedAt = Date.now();
            const fresh = await cluster.start("worker");
            result.replacement = { name: fresh.name, readyAfterMs: Date.now() - replacedAt };
            o.log(`scale-out: started ${fresh.name} (pid ${fresh.child.pid}) in ${((Date.now() - replacedAt) / 1000).toFixed(1)}s`);
          })();
        },
      },
    );
    if (killAndReplace) await killAndReplace;
    result.timings.load = result.load.timings.loadMs;
    result.timings.settle = result.load.timings.settleMs;
    result.timings.check = result.load.timings.checkMs;
    result.violations.push(...(result.load.check?.violations ?? []));
    if (!result.killed) result.violations.push({ rule: "scenario", detail: "no worker was killed" });
    if (!result.replacement) result.violations.push({ rule: "scenario", detail: "no replacement worker started" });
    for (const p of cluster.processes) {
      if (p.unexpectedExit) result.violations.push({ rule: "scenario", detail: `${p.name} exited on its own` });
    }
  } catch (error) {
    result.error = (error as Error).stack ?? String(error);
  } finally {
    // A kill still in progress must finish before teardown counts the processes.
    if (killAndReplace) await (killAndReplace as Promise<void>).catch(() => {});
    const td = Date.now();
    try {
      const { keysRemoved } = await cluster.teardown();
      result.keysRemoved = keysRemoved;
    } catch (error) {
      result.error = `${result.error ?? ""}\nteardown: ${(error as Error).message}`.trim();
    }
    await stripe?.close();
    result.timings.teardown = Date.now() - td;
    result.timings.total = Date.now() - t0;
  }
  result.ok = result.error === null && result.violations.length === 0;
  return result;
}

export function formatScaleOut(r: ScaleOutResult, o: Pick<ScaleOutOptions, "apis" | "workers" | "orders" | "rate">): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const lines = [
    `scale-out summary: ${o.apis} API + ${o.workers} worker processes, ${o.orders} orders at ${o.rate}/s`,
    `  killed:      ${r.killed ? `${r.killed.name} with SIGKILL after ${r.killed.atOrder} orders (${s(r.killed.at)} into the load)` : "none"}`,
    `  replacement: ${r.replacement ? `${r.replacement.name}, ready in ${s(r.replacement.readyAfterMs)}` : "none"}`,
    `  timings:     setup ${s(r.timings.setup)}, load ${s(r.timings.load)}, settle ${s(r.timings.settle)}, check ${s(r.timings.check)}, teardown ${s(r.timings.teardown)}, total ${s(r.timings.total)}`,
    `  cleanup:     dropped ${r.databaseName}, removed ${r.keysRemoved} Redis keys under ${r.redisPrefix}`,
  ];
  if (r.error) lines.push(`  error: ${r.error}`);
  lines.push(formatViolations(r.violations));
  lines.push(r.ok ? "scale-out: PASS" : "scale-out: FAIL");
  return lines.join("\n");
}
