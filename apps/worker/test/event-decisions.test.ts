import { randomUUID } from "node:crypto";
import { createLogger } from "@order-flow/config";
import {
  auditRepository,
  createDatabase,
  OrderWrite,
  pgOrderStore,
  pgOutbox,
  pgReservationLedger,
  productRepository,
  type Database,
} from "@order-flow/db";
import { Order, type DomainEvent, type DomainEventOf, type OrderState, type TransitionResult } from "@order-flow/domain";
import { SandboxPaymentGateway, InMemorySandboxLedger } from "@order-flow/payments";
import { closeQueues, createQueues, createRedisClient, type JobPayload, type Queues } from "@order-flow/queues";
import { RedisStockReservationService } from "@order-flow/stock";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHandler } from "./support/run-handler.ts";
import { WorkerMetrics } from "../src/metrics.ts";
import type { StoreNotification } from "../src/store-notifier.ts";
import type { WorkerDeps } from "../src/worker-deps.ts";
import { count, createHarness, ctx, customerOf, REDIS_URL, type Harness } from "./support/harness.ts";

/**
 * The handlers of the events that start worker steps decide from the order the event carries
 * and write conditionally on it at once; no runtime runs here, so each event reaches its
 * handler only when the test hands it over.
 */
let h: Harness;
let queues: Queues;
let queueConnection: ReturnType<typeof createRedisClient>;

beforeAll(async () => {
  h = await createHarness();
  queueConnection = createRedisClient({ url: REDIS_URL, role: "producer", name: "event-decisions" });
  queues = createQueues({ connection: queueConnection, redisPrefix: h.prefix });
});
afterAll(async () => {
  await closeQueues(queues).catch(() => {});
  await queueConnection.quit().catch(() => {});
  await h?.cleanup();
});

type Worker = {
  deps: WorkerDeps;
  db: Database;
  /** events committed through this worker's pool (its outbox sink), in order */
  committed: DomainEvent[];
  notified: StoreNotification[];
  opened: string[];
  notes: string[];
};

/** Worker dependencies on a pool of their own (so its commits can be counted once it is closed). */
function workerOn(url: string): Worker {
  const db = createDatabase({ databaseUrl: url, poolSize: 2 });
  const committed: DomainEvent[] = [];
  const outbox = pgOutbox(db);
  outbox.onCommit((c) => committed.push(...c.events));
  const notified: StoreNotification[] = [];
  const opened: string[] = [];
  const sandbox = new SandboxPaymentGateway({ ledger: new InMemorySandboxLedger() });
  const deps: WorkerDeps = {
    db,
    orders: pgOrderStore(db),
    outbox,
    stock: new RedisStockReservationService({ redis: h.redis, ledger: pgReservationLedger(db), prefix: h.prefix }),
    gateway: {
      requestPayment: async (input) => {
        opened.push(input.paymentId);
        return sandbox.requestPayment(input);
      },
      refund: (input) => sandbox.refund(input),
    },
    storeNotifier: { notify: async (n) => void notified.push(n) },
    queues,
    log: createLogger({ name: "event-decisions-test", level: "silent" }),
    metrics: new WorkerMetrics({ defaultMetrics: false }),
    clock: () => new Date(),
  };
  return { deps, db, committed, notified, opened, notes: [] };
}

function run(worker: Worker, event: DomainEvent, job: { redelivered?: boolean } = {}): Promise<void> {
  return runHandler(worker.deps, event as JobPayload, { ...job, note: async (message) => void worker.notes.push(message) });
}

/** The event as an older release wrote it, before events carried the order. */
function oldFormat<E extends DomainEvent>(event: E): E {
  const { orderState: _dropped, ...rest } = event as E & { orderState?: unknown };
  return rest as E;
}

function eventOf<T extends DomainEvent["type"]>(result: TransitionResult, type: T): DomainEventOf<T> {
  const event = result.events.find((e) => e.type === type);
  if (!event) throw new Error(`no ${type} event`);
  return event as DomainEventOf<T>;
}

/**
 * A placed order (stock held in Redis, its log row) moved to PAYMENT_PENDING and then
 * PAYMENT_COMPLETED as the API does, written on `db`; the events are returned, not queued.
 */
async function paidOrder(db: Database, whilePending?: (requested: DomainEventOf<"PaymentRequested">) => Promise<void>) {
  const orders = pgOrderStore(db);
  const stock = new RedisStockReservationService({ redis: h.redis, ledger: pgReservationLedger(db), prefix: h.prefix });
  const storeId = randomUUID();
  const productId = randomUUID();
  await productRepository.upsertCatalogEntry(db, { id: productId, storeId, name: "Kimbap", price: 4500, now: new Date() });
  const set = await stock.setOnHand(storeId, productId, 5);
  if (!set.ok) throw new Error("could not set stock");
  const orderId = randomUUID();
  const userId = randomUUID();
  const now = new Date();
  const { result: held, logRow } = await stock.holdOnly({ orderId, storeId, items: [{ productId, quantity: 2 }], holdSeconds: 600, now });
  if (!held.ok || !logRow) throw new Error(`reserve failed: ${held.ok ? "no log row" : held.reason}`);
  const created = Order.create(
    {
      id: orderId,
      orderNumber: `ORD-TEST-${orderId.slice(0, 8)}`,
      userId,
      storeId,
      items: [{ productId, productName: "Kimbap", unitPrice: 4500, quantity: 2 }],
      expiresAt: held.expiresAt,
    },
    { actor: { role: "customer", userId, storeId: null }, now, newId: randomUUID },
  );
  const reserved = Order.reserveStock(created.order, ctx(), { reservationId: held.reservationId, expiresAt: held.expiresAt });
  // As the API writes a new order: the hold's log row in the order's statement.
  await new OrderWrite().insertOrder(created.order).insertReservationLog(logRow).run(db);
  const save = async (result: TransitionResult, alongside: Parameters<typeof orders.save>[1] = {}) => {
    // The events go to the test, not to the outbox: no relay may hand them to a handler first.
    expect(await orders.save({ ...result, events: [] }, alongside)).toBe("APPLIED");
    return result;
  };
  await save(reserved);
  const paymentId = randomUUID();
  const requested = await save(Order.requestPayment(reserved.order, ctx(customerOf(reserved.order)), { paymentId }), {
    alongside: [{ kind: "openPayment", paymentId, orderId, amount: reserved.order.totalAmount, at: new Date() }],
  });
  const paymentRequested = eventOf(requested, "PaymentRequested");
  await whilePending?.(paymentRequested);
  const completed = await save(
    Order.completePayment(requested.order, ctx(), { paymentId, amount: requested.order.totalAmount, pgTransactionId: `pg-${paymentId}` }),
    { alongside: [{ kind: "paymentStatus", paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: `pg-${paymentId}`, at: new Date() }] },
  );
  return {
    order: completed.order,
    storeId,
    productId,
    paymentRequested,
    paymentCompleted: eventOf(completed, "PaymentCompleted"),
  };
}

async function orderNow(orderId: string): Promise<OrderState | null> {
  return pgOrderStore(h.db.database).find(orderId);
}

async function auditOf(orderId: string): Promise<string[]> {
  return (await auditRepository.listByOrder(h.db.database, orderId)).map((e) => e.eventType);
}

/** The database's committed transactions, read from another database so the reading adds none. */
async function commitsOf(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: h.db.url.replace(`/${database}`, "/postgres") });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: string }>("SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = $1", [database]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await admin.end();
  }
}

/** Once every backend of the database has gone, its counts are final; wait until they stop moving. */
async function settledCommits(database: string): Promise<number> {
  let last = await commitsOf(database);
  for (let same = 0; same < 3; ) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next = await commitsOf(database);
    same = next === last ? same + 1 : 0;
    last = next;
  }
  return last;
}

describe("handlers decide from the event", () => {
  // First: nothing else has used the database's other pools yet, so every commit counted is the handlers'.
  it("commit fewer PostgreSQL transactions than when they read first (pg_stat_database)", async () => {
    const figures: Record<string, number> = {};
    for (const format of ["carries the order", "older, without the order"] as const) {
      const setup = createDatabase({ databaseUrl: h.db.url, poolSize: 2 });
      const { paymentRequested, paymentCompleted } = await paidOrder(setup);
      await setup.close();
      const worker = workerOn(h.db.url);
      const as = format === "carries the order" ? <E extends DomainEvent>(e: E) => e : oldFormat;
      const before = await settledCommits(h.db.name);
      await run(worker, as(paymentRequested));
      await run(worker, as(paymentCompleted));
      await run(worker, as(worker.committed.find((e) => e.type === "OrderConfirmed")!));
      await worker.db.close();
      figures[format] = (await settledCommits(h.db.name)) - before;
    }
    console.info(`worker commits per order (PaymentRequested → PREPARING): ${JSON.stringify(figures)}`);
    // The three reads the handlers no longer make.
    expect(figures["older, without the order"]! - figures["carries the order"]!).toBe(3);
  });

  it("run the worker's part of a lifecycle from the events alone, and still from events without the order", async () => {
    for (const format of ["carries the order", "older, without the order"] as const) {
      const worker = workerOn(h.db.url);
      const as = format === "carries the order" ? <E extends DomainEvent>(e: E) => e : oldFormat;
      const { order, storeId, productId, paymentRequested, paymentCompleted } = await paidOrder(worker.db, (requested) =>
        run(worker, as(requested)),
      );
      expect(worker.opened).toEqual([paymentRequested.paymentId]);
      await run(worker, as(paymentCompleted));
      expect((await orderNow(order.id))?.status).toBe("ORDER_CONFIRMED");
      const confirmed = worker.committed.find((e) => e.type === "OrderConfirmed");
      expect(confirmed).toBeDefined();
      await run(worker, as(confirmed!));
      expect((await orderNow(order.id))?.status).toBe("PREPARING");
      expect(worker.notified.map((n) => n.orderNumber)).toEqual([order.orderNumber]);
      const audit = await auditOf(order.id);
      expect(count(audit, "ORDER_CONFIRMED")).toBe(1);
      expect(count(audit, "STORE_NOTIFIED")).toBe(1);
      expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 3, available: 3, reserved: 0 });
      await worker.db.close();
    }
  });

  it("a PaymentCompleted whose order was cancelled since: reads again, confirms nothing, leaves the order cancelled", async () => {
    const worker = workerOn(h.db.url);
    const { order, storeId, productId, paymentCompleted } = await paidOrder(worker.db);
    // The customer cancels the paid order before the job runs; the API gives the hold back at once.
    const cancelled = Order.cancel(order, ctx(customerOf(order)), { reason: "changed my mind" });
    expect(await pgOrderStore(h.db.database).save({ ...cancelled, events: [] })).toBe("APPLIED");
    await h.stock.release(order.reservationId!, "CANCELLED");

    await run(worker, paymentCompleted);
    const stored = await orderNow(order.id);
    expect(stored?.status).toBe("ORDER_CANCELLED");
    expect(count(await auditOf(order.id), "ORDER_CONFIRMED")).toBe(0);
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 5, available: 5, reserved: 0 });
    expect(worker.notes.join("\n")).toContain(`order ${order.id} (${order.orderNumber}) became ORDER_CANCELLED`);
    await worker.db.close();
  });

  it("an OrderConfirmed whose order was cancelled since: the write loses, the order stays cancelled, nothing is recorded", async () => {
    const worker = workerOn(h.db.url);
    const { paymentCompleted } = await paidOrder(worker.db);
    await run(worker, paymentCompleted);
    const confirmedEvent = worker.committed.find((e) => e.type === "OrderConfirmed")!;
    const confirmed = (await orderNow(paymentCompleted.orderId))!;
    expect(confirmed.status).toBe("ORDER_CONFIRMED");
    const admin = { role: "admin" as const, userId: randomUUID(), storeId: null };
    expect(await pgOrderStore(h.db.database).save({ ...Order.cancel(confirmed, ctx(admin), { reason: "fraud" }), events: [] })).toBe("APPLIED");

    // The event still says ORDER_CONFIRMED at the old version: the conditional write loses and the re-read decides.
    await run(worker, confirmedEvent);
    expect((await orderNow(confirmed.id))?.status).toBe("ORDER_CANCELLED");
    expect(count(await auditOf(confirmed.id), "STORE_NOTIFIED")).toBe(0);
    expect(worker.notified).toEqual([]);
    expect(worker.notes.join("\n")).toContain(`order ${confirmed.id} (${confirmed.orderNumber}) is ORDER_CANCELLED`);
    await worker.db.close();
  });

  it("an OrderConfirmed delivered twice tells the store once; redelivered after its write landed, tells it again and records nothing", async () => {
    const worker = workerOn(h.db.url);
    const { paymentCompleted } = await paidOrder(worker.db);
    await run(worker, paymentCompleted);
    const confirmedEvent = worker.committed.find((e) => e.type === "OrderConfirmed")!;
    await run(worker, confirmedEvent);
    await run(worker, confirmedEvent);
    const order = (await orderNow(paymentCompleted.orderId))!;
    expect(order.status).toBe("PREPARING");
    expect(worker.notified.map((n) => n.orderNumber)).toEqual([order.orderNumber]);

    // A run that wrote PREPARING and died before telling the store comes back as a redelivery.
    await run(worker, confirmedEvent, { redelivered: true });
    expect(worker.notified.map((n) => n.orderNumber)).toEqual([order.orderNumber, order.orderNumber]);
    expect(count(await auditOf(order.id), "STORE_NOTIFIED")).toBe(1);
    expect((await orderNow(order.id))?.version).toBe(order.version);
    await worker.db.close();
  });

  it("a PaymentRequested of an older release reads the order and opens nothing for an order that moved", async () => {
    const worker = workerOn(h.db.url);
    const { order, paymentRequested } = await paidOrder(worker.db);
    await run(worker, oldFormat(paymentRequested));
    expect(worker.opened).toEqual([]);
    expect(worker.notes.join("\n")).toContain(`order ${order.id} (${order.orderNumber}) is PAYMENT_COMPLETED`);
    await worker.db.close();
  });

});
