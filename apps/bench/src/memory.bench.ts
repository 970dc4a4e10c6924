// Benchmark 4: API and worker RSS (VmRSS every 5 s) during a run of full lifecycles started at
// a fixed rate, 50 % of the saturation measured by bench:lifecycle (or --rate).
//   pnpm bench:memory [--seconds 300] [--rate N]
import { JOB_RETENTION } from "@order-flow/queues";
import { withCluster } from "./cluster.ts";
import { HttpClient, seedForLifecycle, waitPreparing } from "./lifecycle.ts";
import { openLoop } from "./open-loop.ts";
import { flag, fmt, loadResult, machineNotes, table } from "./report.ts";
import { placeAndPay } from "./world.ts";

const seconds = flag("seconds", 300);
const saved = loadResult<{ ordersPerSecond: number }>("lifecycle");
const rate = flag("rate", saved ? Math.max(1, Math.round(saved.ordersPerSecond / 2)) : 10);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

console.log(
  `memory: ${seconds} s at ${rate} orders/s (${saved ? `50 % of the saturation of the last bench:lifecycle, ${fmt(saved.ordersPerSecond)}/s` : "no saved saturation: --rate or default"}); ${machineNotes()}`,
);
console.log(`retention: removeOnComplete ${JSON.stringify(JOB_RETENTION.removeOnComplete)}, removeOnFail ${JSON.stringify(JOB_RETENTION.removeOnFail)}`);
await withCluster({}, async (cluster) => {
  const api = await cluster.start("api");
  const worker = await cluster.start("worker");
  const client = new HttpClient(cluster.apiUrl());
  try {
    const world = await seedForLifecycle(cluster, client);
    const samples: { t: number; api: number; worker: number }[] = [];
    const t0 = Date.now();
    const sample = () => samples.push({ t: (Date.now() - t0) / 1000, api: cluster.rssMiB(api) ?? NaN, worker: cluster.rssMiB(worker) ?? NaN });
    sample();
    const timer = setInterval(sample, 5000);
    const ids: string[] = [];
    const run = await openLoop({
      rate,
      durationMs: seconds * 1000,
      maxInFlight: 256,
      task: async (i) => {
        ids.push(await placeAndPay(client, world, i, cluster.webhookSecret));
      },
    });
    clearInterval(timer);
    sample();
    const preparing = await waitPreparing(cluster, ids, 60_000);
    const every = Math.max(1, Math.round(samples.length / 12));
    console.log(
      table(
        ["t s", "API RSS MiB", "worker RSS MiB"],
        samples.filter((_, i) => i % every === 0 || i === samples.length - 1).map((s) => [fmt(s.t, 0), fmt(s.api), fmt(s.worker)]),
      ),
    );
    const first = samples.filter((s) => s.t <= 60);
    const last = samples.filter((s) => s.t >= samples[samples.length - 1]!.t - 60);
    const verdict = (a: number, b: number) => `${fmt(a)} → ${fmt(b)} MiB (${b >= a ? "+" : ""}${fmt((100 * (b - a)) / a)} %)`;
    const apiGrowth = mean(last.map((s) => s.api)) / mean(first.map((s) => s.api)) - 1;
    const workerGrowth = mean(last.map((s) => s.worker)) / mean(first.map((s) => s.worker)) - 1;
    console.log(`first vs last minute mean: API ${verdict(mean(first.map((s) => s.api)), mean(last.map((s) => s.api)))}, worker ${verdict(mean(first.map((s) => s.worker)), mean(last.map((s) => s.worker)))}`);
    console.log(`flows: ${run.ok} ok, ${run.errors + run.unfinished} failed/unfinished, ${fmt(run.achievedRate, 1)}/s started; ${preparing} of ${ids.length} PREPARING`);
    // Growth is what a leak shows; a last minute below the first (warm-up, a major GC) is not one.
    console.log(`not growing (last-minute mean at most 10 % above the first): API ${apiGrowth <= 0.1 ? "yes" : "NO"}, worker ${workerGrowth <= 0.1 ? "yes" : "NO"}`);
  } finally {
    client.close();
  }
});
