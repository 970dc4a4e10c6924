import { randomUUID } from "node:crypto";
import { createLogger } from "@order-flow/config";
import {
  auditRepository,
  orderRepository,
  pgOrderStore,
  pgReservationLedger,
  productRepository,
  OrderWrite,
  type Database,
} from "@order-flow/db";
import { createTestDatabase, type TestDatabase } from "@order-flow/db/testing";
import {
  Order,
  SYSTEM_ACTOR,
  type Actor,
  type AlongsideWrite,
  type DomainEvent,
  type OrderState,
  type TransitionResult,
} from "@order-flow/domain";
import { RedisStockReservationService } from "@order-flow/stock";
import { Redis } from "ioredis";
import { startWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOptions } from "../../src/runtime.ts";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export type Harness = {
  db: TestDatabase;
  prefix: string;
  redis: Redis;
  stock: RedisStockReservationService;
  start: (options?: Partial<WorkerRuntimeOptions>) => Promise<WorkerRuntime>;
  cleanup: () => Promise<void>;
};

/** A database of its own, a Redis prefix of its own, and a stock service for setting up orders. */
export async function createHarness(): Promise<Harness> {
  const db = await createTestDatabase();
  const prefix = `test-${randomUUID()}`;
  const redis = new Redis(REDIS_URL);
  const stock = new RedisStockReservationService({ redis, ledger: pgReservationLedger(db.database), prefix });
  const runtimes: WorkerRuntime[] = [];
  return {
    db,
    prefix,
    redis,
    stock,
    start: async (options = {}) => {
      const runtime = await startWorkerRuntime({
        databaseUrl: db.url,
        redisUrl: REDIS_URL,
        redisPrefix: prefix,
        concurrency: 10,
        retry: { attempts: 3, backoffMs: 50 },
        relayPollIntervalMs: 200,
        // events committed by test code (no dispatcher of its own) are the relay's at once
        relayGraceMs: 0,
        log: createLogger({ name: "worker-test", level: process.env.TEST_LOG_LEVEL ?? "silent" }),
        ...options,
      });
      runtimes.push(runtime);
      return runtime;
    },
    cleanup: async () => {
      for (const runtime of runtimes) await runtime.close();
      await unlinkKeys(redis, `{${prefix}}*`);
      await unlinkKeys(redis, `${prefix}:*`);
      await redis.quit();
      await db.drop();
    },
  };
}

/** SCAN + UNLINK of one pattern (never FLUSHALL: other tests share the server). */
export async function unlinkKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}

export const customerOf = (order: OrderState): Actor => ({ role: "customer", userId: order.userId, storeId: null });
export const storeOf = (order: OrderState): Actor => ({ role: "store", userId: randomUUID(), storeId: order.storeId });

export function ctx(actor: Actor = SYSTEM_ACTOR) {
  return { actor, now: new Date(), newId: randomUUID };
}

/** A product of a new store with `onHand` units, in PostgreSQL and Redis. */
export async function seedProduct(h: Harness, onHand: number): Promise<{ storeId: string; productId: string }> {
  const storeId = randomUUID();
  const productId = randomUUID();
  await productRepository.upsertCatalogEntry(h.db.database, { id: productId, storeId, name: "Kimbap", price: 4500, now: new Date() });
  const set = await h.stock.setOnHand(storeId, productId, onHand);
  if (!set.ok) throw new Error("could not set stock");
  return { storeId, productId };
}

/** What POST /orders writes: the order, its reservation and both events, in one transaction. */
export async function placeOrder(
  h: Harness,
  options: { holdSeconds?: number; quantity?: number; onHand?: number } = {},
): Promise<{ order: OrderState; storeId: string; productId: string }> {
  const { storeId, productId } = await seedProduct(h, options.onHand ?? 10);
  const orderId = randomUUID();
  const userId = randomUUID();
  const holdSeconds = options.holdSeconds ?? 600;
  const now = new Date();
  const { result: held, logRow } = await h.stock.holdOnly({
    orderId,
    storeId,
    items: [{ productId, quantity: options.quantity ?? 2 }],
    holdSeconds,
    now,
  });
  if (!held.ok || !logRow) throw new Error(`reserve failed: ${held.ok ? "no log row" : held.reason}`);
  const customer: Actor = { role: "customer", userId, storeId: null };
  const created = Order.create(
    {
      id: orderId,
      orderNumber: `ORD-TEST-${orderId.slice(0, 8)}`,
      userId,
      storeId,
      items: [{ productId, productName: "Kimbap", unitPrice: 4500, quantity: options.quantity ?? 2 }],
      expiresAt: held.expiresAt,
    },
    { actor: customer, now, newId: randomUUID },
  );
  const reserved = Order.reserveStock(created.order, ctx(), { reservationId: held.reservationId, expiresAt: held.expiresAt });
  // As the API writes a new order: the hold's log row in the order's statement.
  await new OrderWrite()
    .insertOrder(created.order)
    .insertReservationLog(logRow)
    .audit(created.audit)
    .events(created.events)
    .run(h.db.database);
  const outcome = await pgOrderStore(h.db.database).save(reserved);
  if (outcome !== "APPLIED") throw new Error(outcome);
  return { order: reserved.order, storeId, productId };
}

/** Applies one aggregate action to the stored order (as the API would) and commits it. */
export async function act(
  db: Database,
  orderId: string,
  action: (order: OrderState) => TransitionResult,
  alongside: AlongsideWrite[] = [],
): Promise<OrderState> {
  const orders = pgOrderStore(db);
  const order = await orders.find(orderId);
  if (!order) throw new Error("no order");
  const result = action(order);
  const outcome = await orders.save(result, { alongside });
  if (outcome !== "APPLIED") throw new Error(outcome);
  return result.order;
}

/** Payment requested and captured, as POST /payment and a PAID webhook accepted in time do. */
export async function pay(h: Harness, orderId: string): Promise<string> {
  const paymentId = randomUUID();
  const current = await orderRepository.findById(h.db.database, orderId);
  if (!current) throw new Error("no order");
  const order = await act(
    h.db.database,
    orderId,
    (o) => Order.requestPayment(o, ctx(customerOf(o)), { paymentId }),
    [{ kind: "openPayment", paymentId, orderId, amount: current.totalAmount, at: new Date() }],
  );
  await act(
    h.db.database,
    orderId,
    (o) => Order.completePayment(o, ctx(), { paymentId, amount: order.totalAmount, pgTransactionId: `pg-${paymentId}` }),
    [{ kind: "paymentStatus", paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: `pg-${paymentId}`, at: new Date() }],
  );
  return paymentId;
}

/** Polls until `check` returns a value that `done` accepts; fails with the last value after the deadline. */
export async function eventually<T>(check: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await check();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await check();
  }
  return last;
}

export async function statusOf(h: Harness, orderId: string): Promise<string | undefined> {
  return (await orderRepository.findById(h.db.database, orderId))?.status;
}

export async function auditTypes(h: Harness, orderId: string): Promise<string[]> {
  return (await auditRepository.listByOrder(h.db.database, orderId)).map((e) => e.eventType);
}

export async function outboxEvents(h: Harness, orderId: string): Promise<DomainEvent[]> {
  const rows = await h.db.prisma.outboxEvent.findMany({ where: { orderId }, orderBy: { createdAt: "asc" } });
  return rows.map((r) => r.payload as unknown as DomainEvent);
}

export const count = (list: string[], value: string) => list.filter((v) => v === value).length;
