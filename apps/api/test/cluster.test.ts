import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgOrderStore, pgOutbox, pgReservationLedger } from "@order-flow/db";
import { createTestDatabase, type TestDatabase } from "@order-flow/db/testing";
import { bullPrefix, createRedisClient, keyHolders, scanKeys, type RedisConnection } from "@order-flow/queues";
import { RedisStockReservationService } from "@order-flow/stock";
import { startWorkerRuntime, type WorkerRuntime } from "@order-flow/worker";
import { HAS_REDIS_BINARIES, startClusterOnRandomPorts, type LocalRedisCluster } from "../../../scripts/redis-cluster.mjs";
import { buildApp } from "../src/app.ts";
import { createApiMetrics } from "../src/metrics.ts";
import { JWT_SECRET, WEBHOOK_SECRET, token } from "./support/harness.ts";

// The flows on a real 3-master Redis Cluster (scripts/redis-cluster.mjs): API, stock engine
// and worker all on Cluster clients from createRedisClient, as REDIS_CLUSTER_NODES does.

// Nothing may fall back to the single-server URL: it points at a closed port.
const UNUSED_REDIS_URL = "redis://127.0.0.1:1";
const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let cluster: LocalRedisCluster | undefined;
let db: TestDatabase | undefined;
let redis: RedisConnection | undefined;
let worker: WorkerRuntime | undefined;
const prefix = `test-${randomUUID()}`;
const storeId = randomUUID();
const customer = { id: randomUUID(), token: "" };
const admin = { token: "" };
type App = ReturnType<typeof buildApp>;
let api: App;
/** Same API and Redis, but orders hold their stock for 2 s: the timeout case. */
let shortHoldApi: App;

function apiWith(holdSeconds: number): App {
  return buildApp({
    db: db!.database,
    orders: pgOrderStore(db!.database),
    outbox: pgOutbox(db!.database),
    redis: redis!,
    stock: new RedisStockReservationService({ redis: redis!, ledger: pgReservationLedger(db!.database), prefix: `${prefix}:` }),
    log: silent,
    metrics: createApiMetrics(),
    redisPrefix: `${prefix}:`,
    jwtSecret: JWT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    paymentGateway: "sandbox",
    holdSeconds,
    // On: its MULTI on `rl:{userId}:…` must stay in one slot.
    rateLimitPerMinute: 100_000,
  });
}

beforeAll(async () => {
  if (!HAS_REDIS_BINARIES) return;
  [cluster, db] = await Promise.all([startClusterOnRandomPorts(3), createTestDatabase()]);
  redis = createRedisClient({ url: UNUSED_REDIS_URL, clusterNodes: cluster.nodes, role: "producer", name: "api", lazyConnect: true });
  redis.on("error", () => {});
  await redis.connect();
  api = apiWith(600);
  shortHoldApi = apiWith(2);
  customer.token = await token({ sub: customer.id, role: "customer" });
  admin.token = await token({ role: "admin" });
  worker = await startWorkerRuntime({
    databaseUrl: db.url,
    redisUrl: UNUSED_REDIS_URL,
    redisClusterNodes: cluster.nodes,
    redisPrefix: prefix,
    concurrency: 20,
    retry: { attempts: 3, backoffMs: 100 },
    orderTimeoutSweepIntervalMs: 1_000,
    reservationSweepIntervalMs: 1_000,
    reservationSweepGraceMs: 1_000,
    relayPollIntervalMs: 200,
    // events committed by test code (no dispatcher of its own) are the relay's at once
    relayGraceMs: 0,
    log: silent,
  });
});

afterAll(async () => {
  // Each step on its own: the cluster is stopped even when an earlier one fails.
  const steps: (() => Promise<unknown> | undefined)[] = [
    () => worker?.close(),
    async () => redis?.disconnect(),
    () => cluster?.stop(),
    () => db?.drop(),
  ];
  for (const step of steps) {
    await Promise.race([step(), new Promise((r) => setTimeout(r, 10_000))]).catch(() => {});
  }
});

async function call(app: App, method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await app.request(path, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

async function product(onHand: number, store = storeId): Promise<string> {
  const id = randomUUID();
  const res = await call(api, "PUT", `/stores/${store}/products/${id}`, {
    token: admin.token,
    body: { name: "Kimbap", price: 5000, onHand },
  });
  expect(res.status).toBe(200);
  return id;
}

async function place(productId: string, quantity: number, as = customer.token, app = api, store = storeId) {
  return call(app, "POST", "/orders", { token: as, body: { storeId: store, items: [{ productId, quantity }] } });
}

async function stockOf(productId: string, store = storeId) {
  return (await call(api, "GET", `/stores/${store}/products/${productId}`, { token: admin.token })).body.stock;
}

async function waitForStatus(orderId: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await call(api, "GET", `/orders/${orderId}`, { token: admin.token })).body;
    if (last?.status === status) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`order ${orderId} never reached ${status}: ${JSON.stringify(last)}`);
}

async function payInSandbox(orderId: string, as = customer.token) {
  const payment = await call(api, "POST", `/orders/${orderId}/payment`, { token: as });
  expect(payment.status).toBe(202);
  const done = await call(api, "POST", `/sandbox/payments/${payment.body.paymentId}/complete`, {
    token: as,
    body: { outcome: "PAID" },
  });
  expect(done.status).toBe(202);
}

describe.skipIf(!HAS_REDIS_BINARIES)("the flows on a 3-master Redis Cluster", () => {
  it("place → pay (sandbox) → PREPARING, with the stock sold", async () => {
    const productId = await product(10);
    const placed = await place(productId, 2);
    expect(placed.status).toBe(201);
    // The rate limit counted on the cluster (it fails open, so look for its key).
    const counters: string[] = [];
    for await (const keys of scanKeys(redis!, `${prefix}:rl:{${customer.id}}:*`)) counters.push(...keys);
    expect(counters).toHaveLength(1);
    expect(Number(await redis!.get(counters[0]!))).toBeGreaterThan(0);
    await payInSandbox(placed.body.id);
    const done = await waitForStatus(placed.body.id, "PREPARING");
    expect(done.confirmedAt).not.toBeNull();
    expect(await stockOf(productId)).toEqual({ onHand: 8, available: 8, reserved: 0 });
  });

  it("an unpaid order with a 2 s hold → PAYMENT_TIMEOUT, with the stock back", async () => {
    const productId = await product(5);
    const placed = await place(productId, 3, customer.token, shortHoldApi);
    expect(placed.status).toBe(201);
    expect(await stockOf(productId)).toEqual({ onHand: 5, available: 2, reserved: 3 });
    await waitForStatus(placed.body.id, "PAYMENT_TIMEOUT", 15_000);
    expect(await stockOf(productId)).toEqual({ onHand: 5, available: 5, reserved: 0 });
  });

  it("cancel → the stock is back before the response", async () => {
    const productId = await product(10);
    const placed = await place(productId, 4);
    expect(placed.status).toBe(201);
    const res = await call(api, "POST", `/orders/${placed.body.id}/cancel`, { token: customer.token, body: { reason: "changed my mind" } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ORDER_CANCELLED");
    expect(await stockOf(productId)).toEqual({ onHand: 10, available: 10, reserved: 0 });
  });

  it("100 customers race for 20 units: exactly 20 win, and all of them pay", async () => {
    // Its own store, so its keys may sit on another master than the other tests' store.
    const raceStore = randomUUID();
    const productId = await product(20, raceStore);
    const customers = await Promise.all(Array.from({ length: 100 }, () => token({ role: "customer" })));
    const results = await Promise.all(customers.map((t) => place(productId, 1, t, api, raceStore)));
    const winners = results.flatMap((r, i) => (r.status === 201 ? [{ id: r.body.id as string, t: customers[i]! }] : []));
    expect(results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body)).toEqual([]);
    expect(winners).toHaveLength(20);
    expect(results.filter((r) => r.status === 409 && r.body.code === "OUT_OF_STOCK")).toHaveLength(80);
    expect(await stockOf(productId, raceStore)).toEqual({ onHand: 20, available: 0, reserved: 20 });
    await Promise.all(winners.map(({ id, t }) => payInSandbox(id, t)));
    for (const { id } of winners) await waitForStatus(id, "PREPARING", 30_000);
    expect(await stockOf(productId, raceStore)).toEqual({ onHand: 0, available: 0, reserved: 0 });
  });

  it("keys are spread over every master, each queue's keys in one slot", async () => {
    const holders = keyHolders(redis!);
    expect(holders).toHaveLength(3);
    const owners = new Map<string, number>();
    for (const [i, node] of holders.entries()) {
      for await (const keys of scanKeys(node, `*${prefix}*`)) for (const key of keys) owners.set(key, i);
    }
    expect(new Set(owners.values()).size).toBe(3);
    const queueKeys = [...owners].filter(([key]) => key.startsWith(`${bullPrefix(prefix)}:`));
    expect(queueKeys.length).toBeGreaterThan(0);
    expect(new Set(queueKeys.map(([, node]) => node)).size).toBe(1);
  });

  it("with the cluster down, the API answers 503 at once", async () => {
    const productId = await product(10);
    await worker!.close();
    worker = undefined;
    await cluster!.stop();
    cluster = undefined;
    for (let i = 0; i < 3; i += 1) {
      const started = Date.now();
      const res = await place(productId, 1);
      expect(res.status).toBe(503);
      // Generous for a loaded CI machine; an offline queue would hang the request instead.
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    expect((await call(api, "GET", "/readyz")).status).toBe(503);
  });
});
