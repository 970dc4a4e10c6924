import { randomUUID } from "node:crypto";
import { signWebhook } from "@order-flow/payments";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, WEBHOOK_SECRET, type Harness } from "./support/harness.ts";
import { openApiValidator } from "./support/openapi-validator.ts";

type CallOptions = { token?: string; body?: unknown; headers?: Record<string, string> };

/**
 * Sends the contract's flows and checks every response against the served OpenAPI document:
 * documented status, media type, body schema and required headers. The document and the
 * API must agree on all of them.
 */
describe("responses agree with the OpenAPI document", () => {
  let h: Harness;
  let limited: Harness;
  let validator: ReturnType<typeof openApiValidator>;
  const mismatches: string[] = [];
  const seen = new Set<string>();
  const statuses = new Set<number>();

  beforeAll(async () => {
    h = await createHarness({ queues: true });
    limited = await createHarness({ rateLimitPerMinute: 1 });
    await h.startWorker();
    const doc = await h.call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    validator = openApiValidator(doc.body);
  });
  afterAll(async () => {
    await h?.close();
    await limited?.close();
  });

  async function call(method: string, path: string, opts: CallOptions = {}, on: Harness = h) {
    const res = await on.call(method, path, opts);
    mismatches.push(...validator.check(method, path, res));
    const op = validator.operationOf(method, path);
    if (op) seen.add(`${method} ${op.template}`);
    statuses.add(res.status);
    return res;
  }

  async function webhook(body: string, signature?: string) {
    return call("POST", "/webhooks/payments", { body, headers: signature ? { "X-Signature": signature } : {} });
  }
  const sign = (body: string) => signWebhook(body, WEBHOOK_SECRET, Math.floor(Date.now() / 1000));

  async function placeOrder(productId: string, quantity = 1, headers: Record<string, string> = {}) {
    return call("POST", "/orders", { token: h.tokens.customer, body: { storeId: h.storeId, items: [{ productId, quantity }] }, headers });
  }

  async function waitFor(orderId: string, status: string) {
    await h.waitForOrder(orderId, (o) => o.status === status);
    return call("GET", `/orders/${orderId}`, { token: h.tokens.customer });
  }

  it("for the flows of API.md, errors included", async () => {
    // Operations.
    for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]) {
      expect((await call("GET", path)).status, path).toBe(200);
    }

    // Catalog.
    const productId = randomUUID();
    const product = `/stores/${h.storeId}/products/${productId}`;
    expect((await call("PUT", product, { token: h.tokens.store, body: { name: "Kimbap", price: 12000, onHand: 5 } })).status).toBe(200);
    expect((await call("GET", product, { token: h.tokens.customer })).status).toBe(200);
    expect((await call("GET", `/stores/${h.storeId}/products/${randomUUID()}`, { token: h.tokens.customer })).status).toBe(404);
    expect((await call("PUT", product, { token: h.tokens.otherStore, body: { name: "X", price: 1, onHand: 1 } })).status).toBe(403);
    expect((await call("PUT", product, { token: h.tokens.store, body: { name: "", price: -1, onHand: 1 } })).status).toBe(400);

    // Place (with an idempotency key, replayed), pay through the sandbox, let the workers settle it.
    const key = { "Idempotency-Key": randomUUID() };
    const placed = await placeOrder(productId, 2, key);
    expect(placed.status).toBe(201);
    const replayed = await placeOrder(productId, 2, key);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect((await placeOrder(productId, 1, key)).status).toBe(422);
    const order = placed.body.id as string;
    expect((await call("GET", "/orders", { token: h.tokens.customer })).status).toBe(200);
    expect((await call("GET", `/orders?limit=1&status=STOCK_RESERVED`, { token: h.tokens.store })).status).toBe(200);
    expect((await call("GET", `/orders/${order}`, { token: h.tokens.store })).status).toBe(200);
    expect((await call("GET", `/orders/${order}`, { token: h.tokens.otherCustomer })).status).toBe(404);
    const payment = await call("POST", `/orders/${order}/payment`, { token: h.tokens.customer });
    expect(payment.status).toBe(202);
    expect((await call("POST", `/orders/${order}/payment`, { token: h.tokens.store })).status).toBe(403);
    expect(
      (await call("POST", `/sandbox/payments/${payment.body.paymentId}/complete`, { token: h.tokens.customer, body: { outcome: "PAID" } })).status,
    ).toBe(202);
    expect((await waitFor(order, "PREPARING")).status).toBe(200);

    // The store's moves, then a refund that settles on its own.
    for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
      expect((await call("POST", `/orders/${order}/status`, { token: h.tokens.store, body: { status } })).status, status).toBe(200);
    }
    expect((await call("POST", `/orders/${order}/status`, { token: h.tokens.customer, body: { status: "DELIVERING" } })).status).toBe(403);
    expect((await call("POST", `/orders/${order}/refund`, { token: h.tokens.customer, body: { reason: "cold" } })).status).toBe(202);
    expect((await waitFor(order, "REFUND_COMPLETED")).status).toBe(200);
    expect((await call("GET", `/orders/${order}/audit`, { token: h.tokens.customer })).status).toBe(200);
    const ledger = await call("GET", `/sandbox/payments/${payment.body.paymentId}`, { token: h.tokens.customer });
    expect(ledger.status).toBe(200);
    expect(ledger.body.refunds).toHaveLength(1);
    expect((await call("GET", `/sandbox/payments/${payment.body.paymentId}`, { token: h.tokens.otherCustomer })).status).toBe(404);

    // Cancel, then the state machine's 409.
    const second = await placeOrder(productId, 1);
    expect(second.status).toBe(201);
    expect((await call("POST", `/orders/${second.body.id}/cancel`, { token: h.tokens.customer, body: { reason: "changed my mind" } })).status).toBe(200);
    expect((await call("POST", `/orders/${second.body.id}/cancel`, { token: h.tokens.customer, body: {} })).status).toBe(409);
    expect((await call("POST", `/orders/${second.body.id}/payment`, { token: h.tokens.customer })).status).toBe(409);

    // Stock and catalog errors.
    expect((await placeOrder(productId, 99)).status).toBe(409);
    expect((await placeOrder(randomUUID(), 1)).status).toBe(422);
    expect((await call("POST", "/orders", { token: h.tokens.customer, body: "{not json" })).status).toBe(400);
    expect((await call("POST", "/orders", { token: h.tokens.store, body: { storeId: h.storeId, items: [{ productId, quantity: 1 }] } })).status).toBe(403);
    expect((await call("GET", "/orders")).status).toBe(401);
    expect((await call("GET", `/orders/not-a-uuid`, { token: h.tokens.customer })).status).toBe(400);
    expect((await call("POST", `/orders/${randomUUID()}/cancel`, { token: h.tokens.customer, body: {} })).status).toBe(404);
    const big = { outcome: "PAID", failureReason: "x".repeat(70 * 1024) };
    expect((await call("POST", `/sandbox/payments/${payment.body.paymentId}/complete`, { token: h.tokens.customer, body: big })).status).toBe(413);
    expect((await call("POST", `/sandbox/payments/${randomUUID()}/complete`, { token: h.tokens.customer, body: { outcome: "PAID" } })).status).toBe(404);

    // The webhook: signed, repeated, unsigned, malformed, too large.
    const event = JSON.stringify({
      eventId: randomUUID(),
      paymentId: randomUUID(),
      orderId: randomUUID(),
      status: "FAILED",
      amount: 1,
      pgTransactionId: "pg_unknown",
    });
    expect((await webhook(event, sign(event))).status).toBe(200);
    expect((await webhook(event, sign(event))).status).toBe(200);
    expect((await webhook(event)).status).toBe(401);
    expect((await webhook("{}", sign("{}"))).status).toBe(400);
    const huge = JSON.stringify({ padding: "x".repeat(70 * 1024) });
    expect((await webhook(huge, sign(huge))).status).toBe(413);

    // The rate limit: one request a minute on this API.
    expect((await call("GET", "/orders", { token: limited.tokens.customer }, limited)).status).toBe(200);
    const tooMany = await call("GET", "/orders", { token: limited.tokens.customer }, limited);
    expect(tooMany.status).toBe(429);
    expect(Number(tooMany.headers.get("retry-after"))).toBeGreaterThan(0);

    expect(mismatches).toEqual([]);
    // Every documented operation was exercised, and every error status API.md lists for these flows.
    expect([...seen].sort()).toEqual(validator.operations().sort());
    for (const status of [400, 401, 403, 404, 409, 413, 422, 429]) expect(statuses, String(status)).toContain(status);
  });

  it("finds a response that disagrees with the document", async () => {
    const wrong = validator.check("GET", "/healthz", { status: 200, headers: new Headers({ "content-type": "application/json" }), body: { status: 1 } });
    expect(wrong.join("\n")).toMatch(/X-Request-Id missing/);
    expect(wrong.join("\n")).toMatch(/body does not match/);
    const undocumented = validator.check("GET", "/orders", { status: 418, headers: new Headers(), body: null });
    expect(undocumented.join("\n")).toMatch(/status not documented/);
    const badCode = validator.check("GET", `/orders/${randomUUID()}`, {
      status: 404,
      headers: new Headers({ "content-type": "application/problem+json", "x-request-id": "r" }),
      body: { type: "t", title: "t", status: 404, detail: "d", code: "MISSING" },
    });
    expect(badCode.join("\n")).toMatch(/body does not match/);
  });
});
