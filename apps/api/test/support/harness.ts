import { afterEach } from "vitest";
import type { OrderStore } from "@order-flow/domain";
import { randomUUID } from "node:crypto";
import { sign } from "hono/jwt";
import { Redis } from "ioredis";
import { pino } from "pino";
import { pgOrderStore, pgOutbox, pgReservationLedger } from "@order-flow/db";
import { createTestDatabase, type TestDatabase } from "@order-flow/db/testing";
import { closeQueues, createProducerConnection, createQueues, type Queues } from "@order-flow/queues";
import type { StripePaymentGateway } from "@order-flow/payments";
import { RedisStockReservationService, type StockReservationService } from "@order-flow/stock";
import { startWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOptions } from "@order-flow/worker";
import { buildApp } from "../../src/app.ts";
import { createApiMetrics } from "../../src/metrics.ts";

export const JWT_SECRET = "test-jwt-secret";
export const WEBHOOK_SECRET = "test-webhook-secret";

export type Harness = Awaited<ReturnType<typeof createHarness>>;

/** Deletes every key under a test's prefix (never FLUSHALL: the server is shared). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== "0");
}

export async function token(claims: { sub?: string; role: string; storeId?: string; exp?: number }) {
  return sign(
    { sub: claims.sub ?? randomUUID(), exp: claims.exp ?? Math.floor(Date.now() / 1000) + 3600, ...claims },
    JWT_SECRET,
    "HS256",
  );
}

/** An API on its own database and Redis prefix, driven through app.request(). */
export async function createHarness(
  options: {
    holdSeconds?: number;
    rateLimitPerMinute?: number;
    apiRedisUrl?: string;
    /** give the app its queues (dashboard at /admin/queues, queue gauges on /metrics) */
    queues?: boolean;
    adminUser?: string;
    adminPassword?: string;
    newOrderNumber?: (now: Date) => string;
    queueBoardDestructiveActions?: boolean;
    authFailureLimit?: number;
    metricsToken?: string;
    /** PAYMENT_GATEWAY=stripe with this adapter (the sandbox otherwise) */
    stripe?: StripePaymentGateway;
    /** the app's clock (default: the real one) */
    now?: () => Date;
    idempotencyAbandonedAfterMs?: number;
    /** puts something between the app and its stock port (a slow Redis, say) */
    wrapStock?: (stock: StockReservationService) => StockReservationService;
    /** puts something between the app and its order store (counting its reads, say) */
    wrapOrders?: (orders: OrderStore) => OrderStore;
  } = {},
) {
  const db: TestDatabase = await createTestDatabase();
  const prefix = `test-${randomUUID()}`;
  const redis = new Redis(options.apiRedisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  redis.on("error", () => {});
  // An unreachable Redis is a case under test: the API must answer 503, not hang.
  await redis.connect().catch(() => {});
  const stock = new RedisStockReservationService({ redis, ledger: pgReservationLedger(db.database), prefix: `${prefix}:` });
  const queueConnection = options.queues
    ? createProducerConnection({ url: options.apiRedisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379", name: "api-queues" })
    : null;
  queueConnection?.on("error", () => {});
  const queues: Queues | undefined = queueConnection ? createQueues({ connection: queueConnection, redisPrefix: prefix }) : undefined;
  const app = buildApp({
    db: db.database,
    orders: options.wrapOrders ? options.wrapOrders(pgOrderStore(db.database)) : pgOrderStore(db.database),
    outbox: pgOutbox(db.database),
    redis,
    stock: options.wrapStock ? options.wrapStock(stock) : stock,
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    metrics: createApiMetrics(),
    redisPrefix: `${prefix}:`,
    jwtSecret: JWT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    ...(options.stripe ? { paymentGateway: "stripe" as const, stripe: options.stripe } : { paymentGateway: "sandbox" as const }),
    holdSeconds: options.holdSeconds ?? 600,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    ...(queues ? { queues } : {}),
    adminUser: options.adminUser,
    adminPassword: options.adminPassword,
    ...(options.newOrderNumber ? { newOrderNumber: options.newOrderNumber } : {}),
    ...(options.queueBoardDestructiveActions ? { queueBoardDestructiveActions: true } : {}),
    authFailureLimit: options.authFailureLimit ?? 0,
    metricsToken: options.metricsToken,
    ...(options.now ? { now: options.now } : {}),
    ...(options.idempotencyAbandonedAfterMs !== undefined
      ? { idempotencyAbandonedAfterMs: options.idempotencyAbandonedAfterMs }
      : {}),
  });

  const storeId = randomUUID();
  const customerId = randomUUID();
  const tokens = {
    customer: await token({ sub: customerId, role: "customer" }),
    otherCustomer: await token({ role: "customer" }),
    store: await token({ role: "store", storeId }),
    otherStore: await token({ role: "store", storeId: randomUUID() }),
    admin: await token({ role: "admin" }),
  };

  async function call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
      headers["Content-Type"] ??= "application/json";
    }
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, headers: res.headers, body: json };
  }

  async function product(options: { price?: number; onHand?: number; name?: string; store?: string } = {}) {
    const id = randomUUID();
    const res = await call("PUT", `/stores/${options.store ?? storeId}/products/${id}`, {
      token: tokens.admin,
      body: { name: options.name ?? "Kimbap", price: options.price ?? 12000, onHand: options.onHand ?? 10 },
    });
    if (res.status !== 200) throw new Error(`product setup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return id;
  }

  async function placeOrder(items: { productId: string; quantity: number }[], tokenValue = tokens.customer) {
    return call("POST", "/orders", { token: tokenValue, body: { storeId, items } });
  }

  const workers: WorkerRuntime[] = [];
  /** Starts a whole worker (relay, handlers, schedulers) in-process on this harness's database and prefix. */
  async function startWorker(overrides: Partial<WorkerRuntimeOptions> = {}) {
    const runtime = await startWorkerRuntime({
      databaseUrl: db.url,
      redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      redisPrefix: prefix,
      concurrency: 20,
      retry: { attempts: 3, backoffMs: 100 },
      orderTimeoutSweepIntervalMs: 1_000,
      reservationSweepIntervalMs: 1_000,
      reservationSweepGraceMs: 1_000,
      relayPollIntervalMs: 200,
      // events committed by test code (no dispatcher of its own) are the relay's at once
      relayGraceMs: 0,
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      ...overrides,
    });
    workers.push(runtime);
    return runtime;
  }

  /** Polls GET /orders/:id until `done` holds (eventual states settle through the workers). */
  async function waitForOrder(id: string, done: (order: any) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = (await call("GET", `/orders/${id}`, { token: tokens.admin })).body;
      if (done(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`order ${id} did not settle: ${JSON.stringify(last)}`);
  }

  async function stockOf(productId: string) {
    return (await call("GET", `/stores/${storeId}/products/${productId}`, { token: tokens.admin })).body.stock;
  }

  return {
    startWorker,
    waitForOrder,
    stockOf,
    app,
    db,
    prisma: db.prisma,
    redis,
    stock,
    queues,
    prefix,
    storeId,
    customerId,
    tokens,
    call,
    product,
    placeOrder,
    async close() {
      for (const w of workers.splice(0)) await w.close();
      if (queues) await closeQueues(queues);
      queueConnection?.disconnect();
      await deleteKeys(redis, `${prefix}*`);
      await deleteKeys(redis, `*${prefix}*`);
      redis.disconnect();
      await db.drop();
    },
  };
}

/**
 * `createHarness` for the tests of one file, each harness closed after its test: call at the
 * top of the file, then `await api(options)` inside a test.
 */
export function harnessPerTest(): (options?: Parameters<typeof createHarness>[0]) => Promise<Harness> {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  return async (options = {}) => {
    const h = await createHarness(options);
    open.push(h);
    return h;
  };
}
