// The money paths against real API and worker processes over HTTP: a short capture is refunded
// what it took; extra captures of a paid order are refunded on their own while the order and
// its payment keep the first; the customer's refund then gives back the kept capture; the
// sandbox PG's ledger shows each capture with exactly its own refund; a dead refund job retried
// from the queue dashboard requests the refund again and it is made.
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "hono/jwt";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api-client.ts";
import { ScratchCluster } from "../src/cluster.ts";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const JWT_SECRET = "money-paths-test-secret";

type Ledger = {
  captures: { pgTransactionId: string; amount: number }[];
  refunds: { refundId: string; pgTransactionId: string; amount: number }[];
};

let cluster: ScratchCluster | null = null;
let api: ApiClient;
const logDir = join(tmpdir(), `money-paths-test-${process.pid}`);
const storeId = randomUUID();
const tokens = { customer: "", store: "", admin: "" };

const token = (claims: Record<string, unknown>) =>
  sign({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 }, JWT_SECRET, "HS256");

beforeAll(async () => {
  cluster = new ScratchCluster({
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    jwtSecret: JWT_SECRET,
    baseEnv: process.env,
    env: { RATE_LIMIT_PER_MINUTE: "0" },
    logDir,
  });
  await cluster.createDatabase();
  // The API adds the jobs of the events it commits, with its own retry policy: the dead refund
  // job below dies after two attempts only if the API says so too.
  await cluster.start("api", { JOB_ATTEMPTS: "2", JOB_BACKOFF_MS: "50" });
  await cluster.start("worker");
  api = new ApiClient(cluster.apiUrls());
  tokens.customer = await token({ sub: randomUUID(), role: "customer" });
  tokens.store = await token({ sub: randomUUID(), role: "store", storeId });
  tokens.admin = await token({ sub: randomUUID(), role: "admin" });
});

afterAll(async () => {
  await cluster?.teardown();
  rmSync(logDir, { recursive: true, force: true });
});

async function call(method: string, path: string, as: string, body?: unknown) {
  return api.request(method, path, { token: as, ...(body !== undefined ? { body } : {}), route: `${method} ${path}`, idempotent: false });
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

async function newOrder() {
  const productId = randomUUID();
  expect((await call("PUT", `/stores/${storeId}/products/${productId}`, tokens.admin, { name: "Bibimbap", price: 10000, onHand: 10 })).status).toBe(200);
  const placed = await call("POST", "/orders", tokens.customer, { storeId, items: [{ productId, quantity: 2 }] });
  expect(placed.status).toBe(201);
  const payment = await call("POST", `/orders/${placed.body.id}/payment`, tokens.customer);
  expect(payment.status).toBe(202);
  return { orderId: placed.body.id as string, paymentId: payment.body.paymentId as string };
}

async function capture(paymentId: string, amount?: number): Promise<string> {
  const res = await call("POST", `/sandbox/payments/${paymentId}/complete`, tokens.customer, { outcome: "PAID", ...(amount !== undefined ? { amount } : {}) });
  expect(res.status).toBe(202);
  return res.body.pgTransactionId as string;
}

const order = (id: string) => call("GET", `/orders/${id}`, tokens.customer).then((r) => r.body);
const ledger = (paymentId: string) => call("GET", `/sandbox/payments/${paymentId}`, tokens.customer).then((r) => r.body as Ledger);
const audit = (id: string) =>
  call("GET", `/orders/${id}/audit`, tokens.customer).then((r) => r.body as { eventType: string; metadata: Record<string, unknown> }[]);

async function query(sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: cluster!.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const paymentRow = async (paymentId: string) =>
  (await query("SELECT status, pg_transaction_id, refund_id FROM p_payment WHERE id = $1", [paymentId]))[0];

async function deliver(orderId: string) {
  for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
    expect((await call("POST", `/orders/${orderId}/status`, tokens.store, { status })).status).toBe(200);
  }
}

describe("money paths on real processes", () => {
  it("refunds a short capture of 1 on an order of 20000 exactly 1", async () => {
    const { orderId, paymentId } = await newOrder();
    const captureId = await capture(paymentId, 1);
    expect((await order(orderId)).status).toBe("PAYMENT_FAILED");
    const books = await eventually(() => ledger(paymentId), (l) => l.refunds.length > 0);
    expect(books.captures).toEqual([{ pgTransactionId: captureId, amount: 1 }]);
    expect(books.refunds).toEqual([{ refundId: expect.any(String), pgTransactionId: captureId, amount: 1 }]);
    const entry = (await eventually(() => audit(orderId), (a) => a.some((e) => e.eventType === "PAYMENT_AMOUNT_MISMATCH_REFUNDED"))).find(
      (e) => e.eventType === "PAYMENT_AMOUNT_MISMATCH_REFUNDED",
    );
    expect(entry?.metadata).toMatchObject({ amount: 1, refundId: books.refunds[0]!.refundId });
  }, 60_000);

  it("three captures of one payment: the kept one stays PAID, the two others get two refunds; the customer's refund a third", async () => {
    const { orderId, paymentId } = await newOrder();
    const kept = await capture(paymentId);
    await eventually(() => order(orderId), (o) => o.status === "PREPARING");
    const second = await capture(paymentId);
    const third = await capture(paymentId);
    const books = await eventually(() => ledger(paymentId), (l) => l.refunds.length >= 2);
    expect(books.refunds.map((r) => r.pgTransactionId).sort()).toEqual([second, third].sort());
    expect(books.refunds.every((r) => r.amount === 20000)).toBe(true);
    expect(new Set(books.refunds.map((r) => r.refundId)).size).toBe(2);
    expect((await order(orderId)).status).toBe("PREPARING");
    expect(await paymentRow(paymentId)).toEqual({ status: "PAID", pg_transaction_id: kept, refund_id: null });

    await deliver(orderId);
    expect((await call("POST", `/orders/${orderId}/refund`, tokens.customer, {})).status).toBe(202);
    const refunded = await eventually(() => order(orderId), (o) => o.status === "REFUND_COMPLETED");
    const after = await eventually(() => ledger(paymentId), (l) => l.refunds.length >= 3);
    expect(after.refunds).toHaveLength(3);
    expect(after.refunds.find((r) => r.pgTransactionId === kept)).toEqual({ refundId: refunded.refundId, pgTransactionId: kept, amount: 20000 });
    expect(new Set(after.refunds.map((r) => r.refundId)).size).toBe(3);
  }, 60_000);

  it("a dead refund job retried from the queue dashboard requests the refund again, on the operator's behalf, and it is made", async () => {
    const { orderId, paymentId } = await newOrder();
    const kept = await capture(paymentId);
    await eventually(() => order(orderId), (o) => o.status === "PREPARING");
    await deliver(orderId);
    // The PG refuses every refund, and a job dies after two attempts.
    for (const worker of cluster!.workers()) await cluster!.kill9(worker);
    await cluster!.start("worker", { SANDBOX_REFUND_FAILURE_RATE: "1", JOB_ATTEMPTS: "2", JOB_BACKOFF_MS: "50" });
    expect((await call("POST", `/orders/${orderId}/refund`, tokens.customer, {})).status).toBe(202);
    await eventually(() => order(orderId), (o) => o.status === "REFUND_FAILED");
    const [event] = await query("SELECT id FROM p_outbox_event WHERE order_id = $1 AND event_type = 'OrderRefunded'", [orderId]);
    const jobPath = `/admin/queues/api/queues/order-refunded/${event.id}`;
    await eventually(() => call("GET", jobPath, tokens.admin), (r) => r.status === 200 && r.body.job?.isFailed === true);

    // The PG refunds again; the operator presses "retry" on the dead job.
    for (const worker of cluster!.workers()) await cluster!.kill9(worker);
    await cluster!.start("worker");
    expect((await call("PUT", `${jobPath}/retry`, tokens.admin)).status).toBe(204);
    const done = await eventually(() => order(orderId), (o) => o.status === "REFUND_COMPLETED");
    expect((await ledger(paymentId)).refunds).toEqual([{ refundId: done.refundId, pgTransactionId: kept, amount: 20000 }]);
    const again = (await audit(orderId)).filter((e) => e.eventType === "ORDER_REFUNDED");
    expect(again).toHaveLength(2);
    expect(again[1]?.metadata).toMatchObject({ actorRole: "admin", previousStatus: "REFUND_FAILED", onBehalfOf: "queue dashboard" });
    const logs = await eventually(() => call("GET", `${jobPath}/logs`, tokens.admin), (r) => r.status === 200 && JSON.stringify(r.body).includes(orderId));
    expect(JSON.stringify(logs.body)).toContain(done.orderNumber);
  }, 120_000);
});
