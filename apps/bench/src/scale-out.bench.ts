// Benchmark 5: lifecycle throughput with 1, 2 and 3 worker processes (one API), each on a fresh
// deployment, with the conservation check after each; the 1-worker run is the baseline.
// WORKER_CONCURRENCY 20 for all: 3 workers × the default 40-connection pool would pass
// max_connections = 100.
//   pnpm bench:scale-out [--orders 1000] [--concurrency 64] [--workers 1,2,3] [--cpu-prof]
import { join } from "node:path";
import { ROOT, withCluster } from "./cluster.ts";
import { HttpClient, checkConservation, runLifecycle, seedForLifecycle } from "./lifecycle.ts";
import { flag, fmt, hasFlag, machineNotes, table } from "./report.ts";

const orders = flag("orders", 1000);
const cpuProf = hasFlag("cpu-prof");
const concurrency = flag("concurrency", 64);
const counts = (() => {
  const i = process.argv.indexOf("--workers");
  return i >= 0 ? process.argv[i + 1]!.split(",").map(Number) : [1, 2, 3];
})();

console.log(`scale-out: ${orders} orders, ${concurrency} in flight, workers ${counts.join(", ")}; ${machineNotes()}`);
const rows: (string | number)[][] = [];
let baseline: number | null = null;
let allOk = true;
for (const n of counts) {
  const cpuProfDir = cpuProf ? join(ROOT, ".cache", "cpu-prof", `scale-out-${n}-${Date.now()}`) : undefined;
  await withCluster({ env: { WORKER_CONCURRENCY: "20" }, ...(cpuProfDir ? { cpuProfDir } : {}) }, async (cluster) => {
    await cluster.start("api");
    for (let i = 0; i < n; i++) await cluster.start("worker");
    const client = new HttpClient(cluster.apiUrl());
    try {
      const world = await seedForLifecycle(cluster, client);
      await runLifecycle(cluster, client, world, { orders: 200, concurrency, offset: 1_000_000 });
      const run = await runLifecycle(cluster, client, world, { orders, concurrency });
      const check = await checkConservation(cluster, client, world);
      baseline ??= run.ordersPerSecond;
      allOk &&= check.ok && run.failed === 0;
      rows.push([
        n,
        run.orders,
        fmt(run.seconds, 2),
        fmt(run.ordersPerSecond),
        `${fmt((100 * run.ordersPerSecond) / baseline, 0)} %`,
        fmt(run.cpuMsPerOrder.api, 2),
        fmt(run.cpuMsPerOrder.worker, 2),
        fmt(run.cpuMsPerOrder.worker / n, 2),
        fmt(run.commitsPerOrder),
        fmt(run.redis.commandsPerOrder, 0),
        fmt(run.redis.cpuMsPerOrder, 2),
        check.ok ? "OK" : check.problems.slice(0, 3).join("; "),
      ]);
      console.log(`  ${n} worker(s): ${fmt(run.ordersPerSecond)} orders/s; ${machineNotes()}`);
      console.log(`    Redis commands per order: ${run.redis.top.filter(([, c]) => c >= 0.5).map(([c, k]) => `${c} ${fmt(k, 1)}`).join(", ")}`);
    } finally {
      client.close();
    }
  });
}
console.log(
  table(
    ["workers", "orders PREPARING", "seconds", "orders/s", "of 1 worker", "API CPU ms/order", "workers' CPU ms/order (sum)", "per worker process", "PG commits/order", "Redis commands/order", "Redis CPU ms/order", "stock conserved, all PREPARING"],
    rows,
  ),
);
if (!allOk) process.exitCode = 1;
