// One paid order followed across real API and worker processes that export their spans with
// the standard OTLP variables (http/json) to a receiver in this test: the request, the jobs,
// the handlers and their pg and Redis calls share one trace id, every span of the order's work
// carries order.id, and the PG webhook's trace links to the order's.
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "hono/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api-client.ts";
import { ScratchCluster } from "../src/cluster.ts";
import { OtlpJsonReceiver, type ReceivedSpan } from "./support/otlp-receiver.ts";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const JWT_SECRET = "tracing-test-secret";

let cluster: ScratchCluster | null = null;
let api: ApiClient;
const receiver = new OtlpJsonReceiver();
const logDir = join(tmpdir(), `tracing-test-${process.pid}`);
const storeId = randomUUID();
const tokens = { customer: "", admin: "" };

const token = (claims: Record<string, unknown>) => sign({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 }, JWT_SECRET, "HS256");

beforeAll(async () => {
  const endpoint = await receiver.start();
  cluster = new ScratchCluster({
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    jwtSecret: JWT_SECRET,
    baseEnv: process.env,
    env: {
      RATE_LIMIT_PER_MINUTE: "0",
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      // export within a fraction of a second instead of every 5 s
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
    logDir,
  });
  await cluster.createDatabase();
  await cluster.start("api");
  await cluster.start("worker");
  api = new ApiClient(cluster.apiUrls());
  tokens.customer = await token({ sub: randomUUID(), role: "customer" });
  tokens.admin = await token({ sub: randomUUID(), role: "admin" });
}, 120_000);

afterAll(async () => {
  await cluster?.teardown();
  await receiver.stop();
  rmSync(logDir, { recursive: true, force: true });
});

const call = (method: string, path: string, as: string, body?: unknown) =>
  api.request(method, path, { token: as, ...(body !== undefined ? { body } : {}), route: `${method} ${path}`, idempotent: false });

async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`not settled: ${String(JSON.stringify(last)).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

const API = "order-flow-api";
const WORKER = "order-flow-worker";

describe("one trace per order", () => {
  it("follows a paid order from POST /orders through the worker's handlers to PREPARING", async () => {
    const productId = randomUUID();
    expect((await call("PUT", `/stores/${storeId}/products/${productId}`, tokens.admin, { name: "Kimbap", price: 12000, onHand: 5 })).status).toBe(200);
    const placed = await call("POST", "/orders", tokens.customer, { storeId, items: [{ productId, quantity: 1 }] });
    expect(placed.status).toBe(201);
    const orderId = placed.body.id as string;
    const payment = await call("POST", `/orders/${orderId}/payment`, tokens.customer);
    expect(payment.status).toBe(202);
    const paid = await call("POST", `/sandbox/payments/${payment.body.paymentId}/complete`, tokens.customer, { outcome: "PAID" });
    expect(paid.status).toBe(202);
    await eventually(() => call("GET", `/orders/${orderId}`, tokens.customer).then((r) => r.body.status as string), (s) => s === "PREPARING");

    const ofOrder = (s: ReceivedSpan) => s.attributes["order.id"] === orderId;
    // The request that placed the order is the root of the order's trace.
    const root = await eventually(
      () => receiver.spans.find((s) => s.service === API && s.name === "POST /orders" && ofOrder(s)),
      (s) => s !== undefined,
    );
    const inTrace = () => receiver.spans.filter((s) => s.traceId === root!.traceId);
    // Its last step is the OrderConfirmed handler moving the order to PREPARING.
    const trace = await eventually(inTrace, (spans) => spans.some((s) => s.service === WORKER && s.name === "handle OrderConfirmed"));

    expect(root!.parentSpanId).toBe("");
    const workerSpans = trace.filter((s) => s.service === WORKER);
    const handlers = new Set(workerSpans.filter((s) => s.name.startsWith("handle ")).map((s) => s.name));
    expect(handlers).toEqual(new Set(["handle OrderCreated", "handle StockReserved", "handle PaymentCompleted", "handle OrderConfirmed"]));
    // BullMQ's own span of each job, the handlers under it, and the pg and ioredis calls under them.
    expect(workerSpans.some((s) => s.scope === "order-flow-bullmq")).toBe(true);
    expect(workerSpans.some((s) => s.scope === "@opentelemetry/instrumentation-pg")).toBe(true);
    expect(workerSpans.some((s) => s.scope === "@opentelemetry/instrumentation-ioredis")).toBe(true);
    const apiSpans = trace.filter((s) => s.service === API);
    expect(apiSpans.some((s) => s.scope === "@opentelemetry/instrumentation-pg" && ofOrder(s))).toBe(true);
    expect(apiSpans.some((s) => s.scope === "@opentelemetry/instrumentation-ioredis" && ofOrder(s))).toBe(true);
    // Every span of the worker's work on the order carries its id, so a search by order.id finds it all.
    expect(workerSpans.filter((s) => !ofOrder(s)).map((s) => `${s.scope} ${s.name}`)).toEqual([]);
    // Each span's parent is in the same trace: one tree, not fragments.
    const ids = new Set(trace.map((s) => s.spanId));
    expect(trace.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual([]);

    // The PG's webhook is a request of its own, in a trace of its own that links to the order's.
    const webhook = await eventually(
      () => receiver.spans.find((s) => s.service === API && s.name === "POST /webhooks/payments" && ofOrder(s)),
      (s) => s !== undefined,
    );
    expect(webhook!.traceId).not.toBe(root!.traceId);
    expect(webhook!.links.map((l) => l.traceId)).toContain(root!.traceId);
  }, 90_000);
});
