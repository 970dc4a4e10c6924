// Benchmark 3: timeout precision. Orders left unpaid, created at a steady rate over --spread
// seconds so their deadlines (created + ORDER_PAYMENT_TIMEOUT_SECONDS) spread as widely; the
// lateness of each PAYMENT_TIMEOUT is its ORDER_TIMEOUT audit entry's recorded_at − expires_at.
// Baseline in the same run: the delayed job's own wake-up lateness is bounded below by the
// relay (OrderCreated must reach the worker before the job exists), so the relay lag is shown.
//   pnpm bench:timeout [--orders 10000] [--spread 60] [--timeout-seconds 30]
import { withCluster } from "./cluster.ts";
import { HttpClient, seedForLifecycle } from "./lifecycle.ts";
import { openLoop } from "./open-loop.ts";
import { flag, fmt, machineNotes, sleep, summarize, table } from "./report.ts";
import { createOrder } from "./world.ts";

const orders = flag("orders", 10_000);
const spread = flag("spread", 60);
const timeoutSeconds = flag("timeout-seconds", 30);

console.log(`timeout: ${orders} unpaid orders over ${spread} s, deadline +${timeoutSeconds} s; ${machineNotes()}`);
await withCluster({ env: { ORDER_PAYMENT_TIMEOUT_SECONDS: String(timeoutSeconds) } }, async (cluster) => {
  await cluster.start("api");
  await cluster.start("worker");
  const client = new HttpClient(cluster.apiUrl(), 128);
  try {
    const world = await seedForLifecycle(cluster, client, 5000);
    const created = await openLoop({
      rate: orders / spread,
      durationMs: spread * 1000,
      maxInFlight: 64,
      drainMs: 120_000,
      task: (i) => createOrder(client, world, i).then(() => {}),
    });
    if (created.firstError) console.error(`  first error: ${created.firstError.slice(0, 200)}`);
    const { rows: span } = await cluster.db.query<{ n: string; first: Date; last: Date }>(
      `SELECT count(*) AS n, min(expires_at) AS first, max(expires_at) AS last FROM p_order`,
    );
    const total = Number(span[0]!.n);
    const last = span[0]!.last.getTime();
    // Wait for every deadline, then for the stragglers (bounded: last deadline + 90 s).
    for (;;) {
      const { rows } = await cluster.db.query<{ n: string }>(`SELECT count(*) AS n FROM p_order WHERE status = 'PAYMENT_TIMEOUT'`);
      if (Number(rows[0]!.n) >= total || Date.now() > last + 90_000) break;
      await sleep(1000);
    }
    // Deadlines that fell while orders were still being created share the machine with that load.
    const { rows } = await cluster.db.query<{ late_ms: number; during_creation: boolean }>(
      `SELECT extract(epoch FROM (a.recorded_at - o.expires_at)) * 1000 AS late_ms,
              o.expires_at <= (SELECT max(created_at) FROM p_order) AS during_creation
         FROM p_order o JOIN p_order_audit a ON a.order_id = o.id AND a.event_type = 'ORDER_TIMEOUT'`,
    );
    const lateness = summarize(rows.map((r) => Number(r.late_ms)));
    const during = summarize(rows.filter((r) => r.during_creation).map((r) => Number(r.late_ms)));
    const after = summarize(rows.filter((r) => !r.during_creation).map((r) => Number(r.late_ms)));
    const { rows: relay } = await cluster.db.query<{ lag_ms: number }>(
      `SELECT extract(epoch FROM (sent_at - created_at)) * 1000 AS lag_ms FROM p_outbox_event WHERE event_type = 'OrderCreated' AND sent_at IS NOT NULL`,
    );
    const relayLag = summarize(relay.map((r) => Number(r.lag_ms)));
    const { rows: left } = await cluster.db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM p_order GROUP BY status`);
    console.log(
      table(
        ["measure", "n", "p50 ms", "p99 ms", "max ms"],
        [
          ["baseline: relay lag of OrderCreated (commit → queued)", relayLag.n, fmt(relayLag.p50, 1), fmt(relayLag.p99, 1), fmt(relayLag.max, 1)],
          ["PAYMENT_TIMEOUT lateness after expires_at", lateness.n, fmt(lateness.p50, 1), fmt(lateness.p99, 1), fmt(lateness.max, 1)],
          ["  of which deadlines while orders were still created", during.n, fmt(during.p50, 1), fmt(during.p99, 1), fmt(during.max, 1)],
          ["  of which deadlines after the last order was created", after.n, fmt(after.p50, 1), fmt(after.p99, 1), fmt(after.max, 1)],
        ],
      ),
    );
    console.log(
      `created ${total} of ${orders} (${fmt(created.achievedRate, 0)}/s achieved, deadlines over ${fmt((last - span[0]!.first.getTime()) / 1000, 1)} s); statuses: ${left.map((r) => `${r.status} ${r.n}`).join(", ")}`,
    );
    console.log(`target p99 < 500 ms: ${lateness.n === total && lateness.p99 < 500 ? "MET" : "missed"} (${fmt(lateness.p99, 1)} ms over ${lateness.n} of ${total})`);
    if (lateness.n !== total) process.exitCode = 1;
  } finally {
    client.close();
  }
});
