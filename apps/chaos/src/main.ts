// `pnpm test:chaos`: issue 7's fault injection. A private PostgreSQL cluster and Redis server
// (never the machine's shared 5432 / 6379), 2 API + 2 worker processes, and one scenario after
// another under loadgen load; a table row per scenario, exit code 1 on any violation.
// Everything it started is removed at the end, pass, fail or Ctrl-C.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "@order-flow/db/migrate";
import { LocalStripeServer } from "@order-flow/payments/testing";
import { parseChaosArgs } from "./args.ts";
import { PrivatePostgres, PrivateRedis } from "./environment.ts";
import { formatDetails, formatTable } from "./report.ts";
import { reportTimingOnly, SCENARIOS, type ChaosContext, type ScenarioResult } from "./scenarios.ts";
import { ROOT, SystemUnderTest } from "./system.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

let args: ReturnType<typeof parseChaosArgs>;
try {
  args = parseChaosArgs(process.argv.slice(2), SCENARIOS.map((s) => s.name));
} catch (error) {
  log((error as Error).message);
  process.exit(2);
}

const t0 = Date.now();
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const logDir = join(ROOT, ".cache", "chaos", stamp);
const PAYMENT_TIMEOUT_SECONDS = 10;
const jwtSecret = `chaos-jwt-${stamp}`;
const webhookSecret = `chaos-webhook-${stamp}`;
const redisPrefix = "ofchaos";

const pgServer = new PrivatePostgres();
const redis = new PrivateRedis();
let sys: SystemUnderTest | null = null;
const stripeWebhookSecret = `whsec_chaos_${stamp}`;
let stripe: LocalStripeServer | null = null;

let cleaning: Promise<void> | null = null;
const cleanup = () =>
  (cleaning ??= (async () => {
    await sys?.stopAll().catch((e: unknown) => log(`chaos: stopping processes: ${(e as Error).message}`));
    await stripe?.close().catch(() => {});
    await redis.remove().catch((e: unknown) => log(`chaos: removing Redis: ${(e as Error).message}`));
    await pgServer.remove().catch((e: unknown) => log(`chaos: removing PostgreSQL: ${(e as Error).message}`));
  })());

// Ctrl-C / SIGTERM: stop and remove everything (the exit hooks are the last resort).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    log(`chaos: ${signal}; removing the private PostgreSQL, Redis and processes…`);
    void cleanup().finally(() => process.exit(130));
  });
}

const results: ScenarioResult[] = [];
let setupError: unknown = null;
try {
  await pgServer.init();
  await pgServer.createDatabase("chaos");
  const databaseUrl = pgServer.url("chaos");
  await migrate({ databaseUrl, migrationsDir: join(ROOT, "prisma", "migrations") });
  await redis.init();
  if (args.stripe) stripe = await LocalStripeServer.start({ webhookSecret: stripeWebhookSecret });
  log(`chaos: private PostgreSQL :${pgServer.port} (${pgServer.dir}), Redis :${redis.port}; logs in ${logDir}; seed ${args.seed}`);
  sys = new SystemUnderTest({
    // The children inherit PATH etc. under the run's own settings.
    // eslint-disable-next-line no-restricted-properties
    baseEnv: process.env,
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: jwtSecret,
      PAYMENT_WEBHOOK_SECRET: webhookSecret,
      ORDER_PAYMENT_TIMEOUT_SECONDS: String(PAYMENT_TIMEOUT_SECONDS),
      // Short sweeps so what a fault leaves behind is repaired within a scenario.
      ORDER_TIMEOUT_SWEEP_INTERVAL_SECONDS: "5",
      RESERVATION_SWEEP_INTERVAL_SECONDS: "5",
      RESERVATION_SWEEP_GRACE_SECONDS: "5",
      RATE_LIMIT_PER_MINUTE: "0",
      LOG_LEVEL: "warn",
      ...(stripe
        ? { PAYMENT_GATEWAY: "stripe", STRIPE_SECRET_KEY: "sk_test_chaos_local", STRIPE_WEBHOOK_SECRET: stripeWebhookSecret, STRIPE_API_BASE: stripe.url }
        : {}),
    },
    logDir,
    apis: 2,
    workers: 2,
    log,
  });
  await sys.init();
  await sys.startAll();
  if (stripe) {
    // Stripe retries a delivery that failed; here each try goes to the next API (one may be down).
    const urls = sys.apiUrls();
    let next = 0;
    stripe.webhookTarget = async (rawBody, signature) => {
      const res = await fetch(`${urls[next++ % urls.length]}/webhooks/stripe`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
        body: rawBody,
      });
      await res.arrayBuffer();
      return res.status;
    };
  }
  const ctx: ChaosContext = {
    sys,
    pg: pgServer,
    redis,
    databaseUrl,
    redisPrefix,
    jwtSecret,
    webhookSecret,
    paymentTimeoutSeconds: PAYMENT_TIMEOUT_SECONDS,
    quick: args.quick,
    deadlineBurst: args.deadlineBurst,
    log,
    seed: args.seed,
    ...(stripe ? { stripeApiBase: stripe.url } : {}),
  };
  for (const scenario of SCENARIOS.filter((s) => !args.only || args.only.includes(s.name))) {
    if (stripe && scenario.sandboxOnly) {
      log(`chaos: ${scenario.name}: skipped with --stripe (it drives the sandbox PG directly)`);
      continue;
    }
    log(`chaos: ${scenario.name}: ${scenario.fault}…`);
    const started = Date.now();
    let result: ScenarioResult;
    try {
      result = { name: scenario.name, fault: scenario.fault, ...(await scenario.run(ctx)), durationMs: Date.now() - started };
    } catch (error) {
      result = {
        name: scenario.name,
        fault: scenario.fault,
        count: 0,
        inFlight: 0,
        orders: 0,
        lost: 0,
        duplicated: 0,
        violations: [{ rule: "scenario ran", detail: (error as Error).stack ?? String(error) }],
        notes: [],
        durationMs: Date.now() - started,
      };
    }
    if (args.reportTiming) result = reportTimingOnly(result);
    results.push(result);
    log(`chaos: ${scenario.name}: ${result.violations.length === 0 ? "PASS" : `FAIL (${result.violations.length} violations)`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    // A scenario that failed halfway must not leave the next one a broken deployment.
    if (!pgServer.isRunning) await pgServer.start();
    if (!redis.isRunning) await redis.start();
    await sys.startAll();
  }
} catch (error) {
  setupError = error;
  log(`chaos: ${(error as Error).stack ?? String(error)}`);
} finally {
  await cleanup();
}

const failed = setupError !== null || results.some((r) => r.violations.length > 0);
console.log(`\n${formatDetails(results)}\n`);
console.log(formatTable(results));
console.log(`\nchaos: ${args.quick ? "quick" : "full"} run, seed ${args.seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s in all: ${failed ? "FAIL" : "PASS"}`);
if (!failed && !args.keepLogs) rmSync(logDir, { recursive: true, force: true });
else console.log(`process logs: ${logDir}`);
process.exit(failed ? 1 : 0);
