// The full lifecycle at saturation (POST /orders → PREPARING) and its correctness check.
import type { BenchCluster } from "./cluster.ts";
import { HttpClient } from "./http.ts";
import { redisCostPerOrder, redisSnapshot, type RedisCost } from "./redis-counters.ts";
import { pool, sleep } from "./report.ts";
import { placeAndPay, seedWorld, type World } from "./world.ts";

export type LifecycleResult = {
  orders: number;
  failed: number;
  /** orders/s from the first POST to the last order's PREPARING commit */
  ordersPerSecond: number;
  /** flows/s of the HTTP part alone (create + pay + webhook answered) */
  httpFlowsPerSecond: number;
  seconds: number;
  settledSeconds: number;
  /** CPU ms per order by process kind (summed over processes): robust to other load, unlike orders/s */
  cpuMsPerOrder: { api: number; worker: number };
  /** PostgreSQL commits per order (autocommit reads included) */
  commitsPerOrder: number;
  /** Redis CPU and commands per order, from the server's counters (only this run's when its Redis is private) */
  redis: RedisCost;
  /** other clients were connected to Redis: its counters include their work */
  redisShared: boolean;
};

export type Conservation = { ok: boolean; notPreparing: number; problems: string[] };

/** Stock for the benchmark: 10 stores × 10 products, far more units than any run takes. */
export async function seedForLifecycle(cluster: BenchCluster, client: HttpClient, customers = 2000): Promise<World> {
  return seedWorld(client, cluster.jwtSecret, { stores: 10, productsPerStore: 10, onHand: 1_000_000, customers });
}

async function countPreparing(cluster: BenchCluster, ids: string[]): Promise<number> {
  const { rows } = await cluster.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM p_order WHERE status = 'PREPARING' AND id = ANY($1::uuid[])`,
    [ids],
  );
  return Number(rows[0]!.n);
}

/** Waits until every id is PREPARING (or the deadline passes); returns how many are. */
export async function waitPreparing(cluster: BenchCluster, ids: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countPreparing(cluster, ids);
    if (n === ids.length || Date.now() > deadline) return n;
    await sleep(100);
  }
}

/**
 * Closed loop at saturation: `concurrency` customers each run create → pay → webhook back to
 * back; the clock stops at the last PREPARING commit (p_order.updated_at of that transition).
 */
export async function runLifecycle(
  cluster: BenchCluster,
  client: HttpClient,
  world: World,
  options: { orders: number; concurrency: number; offset?: number; idempotencyKey?: boolean },
): Promise<LifecycleResult & { ids: string[] }> {
  const ids: string[] = [];
  let failed = 0;
  let firstError: unknown = null;
  const offset = options.offset ?? 0;
  const cpu = (kind: "api" | "worker") =>
    cluster.processes.filter((p) => p.kind === kind).reduce((sum, p) => sum + cluster.cpuSeconds(p), 0);
  await sleep(1200); // pg_stat_database lags up to a second
  const commitsBefore = await cluster.commits();
  const redisBefore = await redisSnapshot(cluster.redisUrl);
  const cpuBefore = { api: cpu("api"), worker: cpu("worker") };
  const started = Date.now();
  await pool(options.orders, options.concurrency, async (i) => {
    try {
      ids.push(await placeAndPay(client, world, offset + i, cluster.webhookSecret, { idempotencyKey: options.idempotencyKey !== false }));
    } catch (error) {
      failed++;
      firstError ??= error;
    }
  });
  const httpDone = Date.now();
  if (firstError) console.error(`  ${failed} flows failed; first: ${String(firstError)}`);
  const preparing = await waitPreparing(cluster, ids, 120_000);
  if (preparing !== ids.length) console.error(`  only ${preparing} of ${ids.length} orders reached PREPARING`);
  const { rows } = await cluster.db.query<{ last: Date }>(
    `SELECT max(updated_at) AS last FROM p_order WHERE status = 'PREPARING' AND id = ANY($1::uuid[])`,
    [ids],
  );
  const last = rows[0]?.last?.getTime() ?? Date.now();
  const seconds = (last - started) / 1000;
  const cpuAfter = { api: cpu("api"), worker: cpu("worker") };
  const redisAfter = await redisSnapshot(cluster.redisUrl);
  await sleep(1200);
  const commits = (await cluster.commits()) - commitsBefore;
  return {
    cpuMsPerOrder: {
      api: (1000 * (cpuAfter.api - cpuBefore.api)) / Math.max(1, ids.length),
      worker: (1000 * (cpuAfter.worker - cpuBefore.worker)) / Math.max(1, ids.length),
    },
    commitsPerOrder: commits / Math.max(1, ids.length),
    redis: redisCostPerOrder(redisBefore, redisAfter, ids.length),
    // Each API and worker process holds a few connections; far more means someone else's traffic.
    redisShared: redisAfter.clients > 8 * cluster.processes.length + 2,
    ids,
    orders: preparing,
    failed: failed + (ids.length - preparing),
    ordersPerSecond: preparing / seconds,
    httpFlowsPerSecond: ids.length / ((httpDone - started) / 1000),
    seconds,
    settledSeconds: (last - httpDone) / 1000,
  };
}

/**
 * Stock conserved: for every product, PostgreSQL on_hand = seeded − units of PREPARING orders,
 * Redis agrees (on hand, nothing left reserved), and every order is PREPARING.
 */
export async function checkConservation(cluster: BenchCluster, client: HttpClient, world: World): Promise<Conservation> {
  const problems: string[] = [];
  const { rows: sold } = await cluster.db.query<{ product_id: string; units: string }>(
    `SELECT i.product_id, sum(i.quantity) AS units FROM p_order_item i JOIN p_order o ON o.id = i.order_id
      WHERE o.status = 'PREPARING' GROUP BY i.product_id`,
  );
  const soldBy = new Map(sold.map((r) => [r.product_id, Number(r.units)]));
  const { rows: onHand } = await cluster.db.query<{ id: string; on_hand: number }>(`SELECT id, on_hand FROM p_product`);
  const pgBy = new Map(onHand.map((r) => [r.id, r.on_hand]));
  for (const p of world.products) {
    const expected = p.onHand - (soldBy.get(p.productId) ?? 0);
    if (pgBy.get(p.productId) !== expected) problems.push(`${p.productId}: PostgreSQL on_hand ${pgBy.get(p.productId)} ≠ ${expected}`);
    const res = await client.request("GET", `/stores/${p.storeId}/products/${p.productId}`, undefined, { authorization: world.admin });
    const stock = (JSON.parse(res.body) as { stock?: { onHand: number; available: number; reserved: number } }).stock;
    if (!stock || stock.onHand !== expected || stock.reserved !== 0 || stock.available !== expected) {
      problems.push(`${p.productId}: Redis ${JSON.stringify(stock)} ≠ onHand ${expected}, reserved 0`);
    }
  }
  const { rows: other } = await cluster.db.query<{ n: string }>(`SELECT count(*) AS n FROM p_order WHERE status <> 'PREPARING'`);
  const notPreparing = Number(other[0]!.n);
  if (notPreparing > 0) problems.push(`${notPreparing} orders not PREPARING`);
  return { ok: problems.length === 0, notPreparing, problems };
}

export { HttpClient };
