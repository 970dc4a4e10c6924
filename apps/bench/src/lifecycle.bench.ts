// Benchmark 1: full lifecycle throughput (POST /orders → PREPARING, paid by signed webhook) at
// saturation with 1 API + 1 worker, against the ceiling of the same PostgreSQL transactions
// issued directly with pg, in the same run and on the same database.
// Every POST /orders carries an Idempotency-Key, as a client that retries safely sends it.
//   pnpm bench:lifecycle [--orders 3000] [--concurrency 64] [--ceiling-concurrency 32] [--cpu-prof] [--no-idempotency-key]
//   [--no-ceiling] (the system only: for quick before/after comparisons of its per-order figures)
import { join } from "node:path";
import { ROOT, withCluster } from "./cluster.ts";
import { HttpClient, checkConservation, runLifecycle, seedForLifecycle } from "./lifecycle.ts";
import { runCeiling } from "./pg-ceiling.ts";
import { flag, fmt, hasFlag, machineNotes, saveResult, sleep, table } from "./report.ts";

const orders = flag("orders", 3000);
const concurrency = flag("concurrency", 64);
const ceilingConcurrency = flag("ceiling-concurrency", 32);
const idempotencyKey = !hasFlag("no-idempotency-key");
const withCeiling = !hasFlag("no-ceiling");
const cpuProfDir = hasFlag("cpu-prof") ? join(ROOT, ".cache", "cpu-prof", `lifecycle-${Date.now()}`) : undefined;

console.log(`lifecycle: ${orders} orders, ${concurrency} in flight, Idempotency-Key ${idempotencyKey ? "on" : "off"}; ${machineNotes()}`);
await withCluster({ ...(cpuProfDir ? { cpuProfDir } : {}) }, async (cluster) => {
  await cluster.start("api");
  await cluster.start("worker");
  const client = new HttpClient(cluster.apiUrl());
  try {
    const world = await seedForLifecycle(cluster, client);
    // Warm-up: JIT, connection pools, prepared Lua scripts.
    await runLifecycle(cluster, client, world, { orders: 300, concurrency, offset: 1_000_000, idempotencyKey });
    const run = await runLifecycle(cluster, client, world, { orders, concurrency, idempotencyKey });
    const conservation = await checkConservation(cluster, client, world);
    await cluster.stopProcesses();
    // Same database, processes stopped: nothing else competes with the ceiling. Its commits
    // are counted the way the system's are (pg_stat_database), so the two can be compared.
    const measured = async (reads: boolean) => {
      if (!withCeiling) return { orders, seconds: NaN, ordersPerSecond: NaN, transactionsPerSecond: NaN, commitsPerOrder: NaN };
      await sleep(1200); // pg_stat_database lags up to a second
      const before = await cluster.commits();
      const result = await runCeiling(cluster.databaseUrl, world, { orders, concurrency: ceilingConcurrency, reads, idempotencyKey });
      await sleep(1200);
      return { ...result, commitsPerOrder: ((await cluster.commits()) - before) / orders };
    };
    const ceiling = await measured(false);
    const ceilingReads = await measured(true);
    const ratio = run.ordersPerSecond / ceiling.ordersPerSecond;
    const writes = idempotencyKey ? "5 write tx (T1 stores the key's answer)" : "5 write tx";
    console.log(
      table(
        ["run", "orders", "seconds", "orders/s", "of ceiling", "PG commits/order", "API CPU ms/order", "worker CPU ms/order", "Redis commands/order", "Redis CPU ms/order"],
        [
          [`ceiling: ${writes}/order via pg (${ceilingConcurrency} conns)`, ceiling.orders, fmt(ceiling.seconds, 2), fmt(ceiling.ordersPerSecond), "100 %", fmt(ceiling.commitsPerOrder), "–", "–", "–", "–"],
          [`ceiling + the webhook's read + sent marks`, ceilingReads.orders, fmt(ceilingReads.seconds, 2), fmt(ceilingReads.ordersPerSecond), `${fmt((100 * ceilingReads.ordersPerSecond) / ceiling.ordersPerSecond, 0)} %`, fmt(ceilingReads.commitsPerOrder), "–", "–", "–", "–"],
          [
            `system: 1 API + 1 worker, ${concurrency} flows in flight`,
            run.orders,
            fmt(run.seconds, 2),
            fmt(run.ordersPerSecond),
            `${fmt(100 * ratio, 0)} %`,
            fmt(run.commitsPerOrder),
            fmt(run.cpuMsPerOrder.api, 2),
            fmt(run.cpuMsPerOrder.worker, 2),
            fmt(run.redis.commandsPerOrder, 0),
            fmt(run.redis.cpuMsPerOrder, 2),
          ],
        ],
      ),
    );
    console.log(`HTTP part alone: ${fmt(run.httpFlowsPerSecond)} flows/s; last PREPARING ${fmt(run.settledSeconds, 2)} s after the last webhook; failed ${run.failed}`);
    const redis = run.redis;
    console.log(
      `per order: node CPU ${fmt(run.cpuMsPerOrder.api + run.cpuMsPerOrder.worker, 2)} ms (API + worker), Redis ${fmt(redis.cpuMsPerOrder, 2)} CPU ms, ${fmt(redis.commandsPerOrder, 0)} commands (script-internal included); by command: ${redis.top.filter(([, n]) => n >= 0.05).map(([c, n]) => `${c} ${fmt(n, 1)}`).join(", ")}`,
    );
    if (run.redisShared) console.log("  (Redis had other clients: its counters include their work; set BENCH_REDIS_URL to a private redis-server)");
    console.log(`ceiling transactions/s: ${fmt(ceiling.transactionsPerSecond, 0)}; ${machineNotes()}`);
    console.log(`target: ≥ 1,000 orders/s: ${run.ordersPerSecond >= 1000 ? "MET" : "missed"}; ≥ 50 % of ceiling: ${ratio >= 0.5 ? "MET" : "missed"} (${fmt(100 * ratio, 0)} %)`);
    console.log(`conservation: ${conservation.ok ? "OK" : `VIOLATED\n  ${conservation.problems.slice(0, 10).join("\n  ")}`}`);
    if (cpuProfDir) console.log(`cpu profiles: ${cpuProfDir} (summarize: pnpm bench:profile ${cpuProfDir})`);
    saveResult("lifecycle", { ordersPerSecond: run.ordersPerSecond, cpuMsPerOrder: run.cpuMsPerOrder, commitsPerOrder: run.commitsPerOrder, redisCpuMsPerOrder: run.redis.cpuMsPerOrder, redisCommandsPerOrder: run.redis.commandsPerOrder, ceiling: ceiling.ordersPerSecond, ceilingCommitsPerOrder: ceiling.commitsPerOrder, at: new Date().toISOString() });
    if (!conservation.ok || run.failed > 0) process.exitCode = 1;
  } finally {
    client.close();
  }
});
