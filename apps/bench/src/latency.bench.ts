// Benchmark 2: POST /orders latency at fixed rates (open loop, measured from the scheduled send
// time), 1 API + 1 worker. Baseline in the same run: GET /healthz at the same rates (the HTTP
// stack and the load generator alone, no database or Redis).
//   pnpm bench:latency [--rates 100,500,1000] [--seconds 10] [--max-in-flight 512] [--cpu-prof]
import { join } from "node:path";
import { ROOT, withCluster } from "./cluster.ts";
import { HttpClient, seedForLifecycle } from "./lifecycle.ts";
import { openLoop, type OpenLoopResult } from "./open-loop.ts";
import { flag, fmt, hasFlag, machineNotes, sleep, summarize, table } from "./report.ts";
import { createOrder } from "./world.ts";

function rates(): number[] {
  const i = process.argv.indexOf("--rates");
  return i >= 0 ? process.argv[i + 1]!.split(",").map(Number) : [100, 500, 1000];
}
const seconds = flag("seconds", 10);
const maxInFlight = flag("max-in-flight", 512);
const cpuProfDir = hasFlag("cpu-prof") ? join(ROOT, ".cache", "cpu-prof", `latency-${Date.now()}`) : undefined;

function row(label: string, rate: number, r: OpenLoopResult): (string | number)[] {
  const s = summarize(r.latencies);
  return [label, rate, fmt(r.achievedRate, 0), r.ok, r.errors + r.unfinished, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.max, 2)];
}

console.log(`latency: ${seconds} s per rate, at most ${maxInFlight} in flight; ${machineNotes()}`);
await withCluster({ ...(cpuProfDir ? { cpuProfDir } : {}) }, async (cluster) => {
  await cluster.start("api");
  await cluster.start("worker");
  const client = new HttpClient(cluster.apiUrl(), maxInFlight);
  try {
    // 5,000 customers: no one customer's orders dominate; stock far beyond any run.
    const world = await seedForLifecycle(cluster, client, 5000);
    await openLoop({ rate: 100, durationMs: 3000, maxInFlight, task: (i) => createOrder(client, world, 9_000_000 + i) });
    const rows: (string | number)[][] = [];
    let offset = 0;
    let p99At500: number | null = null;
    for (const rate of rates()) {
      const health = await openLoop({
        rate,
        durationMs: seconds * 1000,
        maxInFlight,
        task: async () => {
          const res = await client.request("GET", "/healthz", undefined);
          if (res.status !== 200) throw new Error(`healthz ${res.status}`);
        },
      });
      rows.push(row("baseline: GET /healthz", rate, health));
      await sleep(2000);
      const base = offset;
      const orders = await openLoop({ rate, durationMs: seconds * 1000, maxInFlight, task: (i) => createOrder(client, world, base + i) });
      offset += orders.scheduled;
      rows.push(row("POST /orders", rate, orders));
      if (orders.firstError) console.error(`  at ${rate}/s first error: ${orders.firstError.slice(0, 200)}`);
      if (rate === 500) p99At500 = orders.unfinished + orders.errors > 0 ? Infinity : summarize(orders.latencies).p99;
      // Let the worker catch up with this rate's events before the next one.
      await sleep(5000);
    }
    console.log(table(["request", "target/s", "sent/s", "ok", "failed+unfinished", "p50 ms", "p99 ms", "max ms"], rows));
    if (p99At500 !== null) console.log(`target p99 < 25 ms at 500 req/s: ${p99At500 < 25 ? "MET" : "missed"} (${fmt(p99At500, 2)} ms)`);
    if (cpuProfDir) console.log(`cpu profiles: ${cpuProfDir}`);
  } finally {
    client.close();
  }
});
