import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, token, type Harness } from "./support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.body).toMatchObject({ status, code });
  expect(typeof res.body.title).toBe("string");
  expect(typeof res.body.detail).toBe("string");
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
}

describe("authentication", () => {
  it("refuses missing, malformed, badly signed and expired tokens with 401", async () => {
    expectProblem(await h.call("GET", "/orders"), 401, "UNAUTHENTICATED");
    expectProblem(await h.call("GET", "/orders", { headers: { Authorization: "Bearer nope" } }), 401, "UNAUTHENTICATED");
    const expired = await token({ role: "customer", exp: Math.floor(Date.now() / 1000) - 10 });
    expectProblem(await h.call("GET", "/orders", { token: expired }), 401, "UNAUTHENTICATED");
    const { sign } = await import("hono/jwt");
    const forged = await sign({ sub: randomUUID(), role: "admin" }, "another-secret", "HS256");
    expectProblem(await h.call("GET", "/orders", { token: forged }), 401, "UNAUTHENTICATED");
  });

  it("refuses an unknown role and a store token without storeId", async () => {
    expectProblem(await h.call("GET", "/orders", { token: await token({ role: "root" }) }), 401, "UNAUTHENTICATED");
    expectProblem(await h.call("GET", "/orders", { token: await token({ role: "store" }) }), 401, "UNAUTHENTICATED");
  });
});

describe("request id", () => {
  it("is on every response and echoed when the client sent one", async () => {
    const mine = await h.call("GET", "/healthz", { headers: { "X-Request-Id": "abc-123" } });
    expect(mine.headers.get("x-request-id")).toBe("abc-123");
    const error = await h.call("GET", "/orders");
    expect(error.headers.get("x-request-id")).toMatch(/[0-9a-f-]{36}/);
    expect(error.body.requestId).toBe(error.headers.get("x-request-id"));
  });
});

describe("validation", () => {
  it("answers 400 with field errors for wrong shapes, limits and unknown fields", async () => {
    const productId = await h.product();
    const cases: unknown[] = [
      {},
      { storeId: "not-a-uuid", items: [{ productId, quantity: 1 }] },
      { storeId: h.storeId, items: [] },
      { storeId: h.storeId, items: [{ productId, quantity: 0 }] },
      { storeId: h.storeId, items: [{ productId, quantity: 100 }] },
      { storeId: h.storeId, items: [{ productId, quantity: 1.5 }] },
      { storeId: h.storeId, items: [{ productId, quantity: 1 }, { productId, quantity: 2 }] },
      { storeId: h.storeId, items: [{ productId, quantity: 1 }], price: 1 },
      { storeId: h.storeId, items: [{ productId, quantity: 1, unitPrice: 1 }] },
      { storeId: h.storeId, items: Array.from({ length: 51 }, () => ({ productId: randomUUID(), quantity: 1 })) },
      [],
      "null",
    ];
    for (const body of cases) {
      const res = await h.call("POST", "/orders", { token: h.tokens.customer, body });
      expectProblem(res, 400, "VALIDATION_FAILED");
      expect(Array.isArray(res.body.errors)).toBe(true);
    }
    expectProblem(await h.call("POST", "/orders", { token: h.tokens.customer, body: "{not json" }), 400, "VALIDATION_FAILED");
    expectProblem(
      await h.call("POST", "/orders", { token: h.tokens.customer, body: "x", headers: { "Content-Type": "text/plain" } }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await h.call("GET", "/orders/not-a-uuid", { token: h.tokens.customer }), 400, "VALIDATION_FAILED");
    expectProblem(await h.call("GET", "/orders?limit=0", { token: h.tokens.customer }), 400, "VALIDATION_FAILED");
    expectProblem(await h.call("GET", "/orders?limit=101", { token: h.tokens.customer }), 400, "VALIDATION_FAILED");
    expectProblem(await h.call("GET", "/orders?cursor=garbage", { token: h.tokens.customer }), 400, "VALIDATION_FAILED");
    expectProblem(await h.call("GET", "/orders?status=NOPE", { token: h.tokens.customer }), 400, "VALIDATION_FAILED");
  });

  it("rejects an idempotency key that is empty or too long", async () => {
    const productId = await h.product();
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    for (const key of ["", "k".repeat(256)]) {
      const res = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers: { "Idempotency-Key": key } });
      expectProblem(res, 400, "VALIDATION_FAILED");
    }
  });

  it("answers 413 for bodies over 64 KiB, after authentication", async () => {
    const big = { storeId: h.storeId, items: [], pad: "x".repeat(70 * 1024) };
    expectProblem(await h.call("POST", "/orders", { token: h.tokens.customer, body: big }), 413, "PAYLOAD_TOO_LARGE");
    expectProblem(await h.call("POST", "/orders", { body: big }), 401, "UNAUTHENTICATED");
  });

  it("answers 404 problem for unknown routes", async () => {
    expectProblem(await h.call("GET", "/nope"), 404, "NOT_FOUND");
  });
});

describe("roles and catalog", () => {
  it("lets only customers place orders", async () => {
    const productId = await h.product();
    for (const t of [h.tokens.store, h.tokens.admin]) {
      expectProblem(await h.placeOrder([{ productId, quantity: 1 }], t), 403, "FORBIDDEN");
    }
  });

  it("answers 422 UNKNOWN_PRODUCT for a product missing or of another store", async () => {
    const foreign = await h.product({ store: randomUUID() });
    expectProblem(await h.placeOrder([{ productId: randomUUID(), quantity: 1 }]), 422, "UNKNOWN_PRODUCT");
    expectProblem(await h.placeOrder([{ productId: foreign, quantity: 1 }]), 422, "UNKNOWN_PRODUCT");
  });

  it("lets a store write only its own catalog, and shows stock counters to anyone", async () => {
    const id = randomUUID();
    const path = `/stores/${h.storeId}/products/${id}`;
    const body = { name: "Bibimbap", price: 9000, onHand: 5 };
    expectProblem(await h.call("PUT", path, { token: h.tokens.customer, body }), 403, "FORBIDDEN");
    expectProblem(await h.call("PUT", path, { token: h.tokens.otherStore, body }), 403, "FORBIDDEN");
    const put = await h.call("PUT", path, { token: h.tokens.store, body });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ id, storeId: h.storeId, name: "Bibimbap", price: 9000, stock: { onHand: 5, available: 5, reserved: 0 } });
    const got = await h.call("GET", path, { token: h.tokens.customer });
    expect(got.body).toEqual(put.body);
    expectProblem(await h.call("GET", `/stores/${randomUUID()}/products/${id}`, { token: h.tokens.customer }), 404, "NOT_FOUND");
    expectProblem(await h.call("PUT", path, { token: h.tokens.store, body: { ...body, price: -1 } }), 400, "VALIDATION_FAILED");
    expectProblem(await h.call("PUT", path, { token: h.tokens.store, body: { ...body, name: "" } }), 400, "VALIDATION_FAILED");
    expectProblem(await h.call("PUT", path, { token: h.tokens.store, body: { ...body, extra: 1 } }), 400, "VALIDATION_FAILED");
  });

  it("refuses to set onHand below the units held, changing nothing", async () => {
    const productId = await h.product({ onHand: 5, name: "Japchae" });
    const placed = await h.placeOrder([{ productId, quantity: 3 }]);
    expect(placed.status).toBe(201);
    const path = `/stores/${h.storeId}/products/${productId}`;
    const res = await h.call("PUT", path, { token: h.tokens.store, body: { name: "Renamed", price: 1, onHand: 2 } });
    expectProblem(res, 409, "STOCK_HELD");
    const got = await h.call("GET", path, { token: h.tokens.store });
    expect(got.body).toMatchObject({ name: "Japchae", price: 12000, stock: { onHand: 5, available: 2, reserved: 3 } });
  });
});

describe("placing orders", () => {
  it("prices from the catalog, holds stock and answers 201 STOCK_RESERVED", async () => {
    const a = await h.product({ price: 12000, onHand: 10 });
    const b = await h.product({ price: 3000, onHand: 10 });
    const res = await h.placeOrder([
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "STOCK_RESERVED",
      userId: h.customerId,
      storeId: h.storeId,
      totalAmount: 27000,
      paymentId: null,
      failureReason: null,
      refundId: null,
      confirmedAt: null,
      cancelledAt: null,
    });
    expect(res.body.orderNumber).toMatch(/^ORD-\d{8}-[0-9A-Z]{6}$/);
    expect(typeof res.body.reservationId).toBe("string");
    expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 590_000);
    const stockA = await h.call("GET", `/stores/${h.storeId}/products/${a}`, { token: h.tokens.customer });
    expect(stockA.body.stock).toEqual({ onHand: 10, available: 8, reserved: 2 });
    const audit = await h.call("GET", `/orders/${res.body.id}/audit`, { token: h.tokens.customer });
    expect(audit.body.map((e: any) => e.eventType)).toEqual(["ORDER_CREATED", "STOCK_RESERVED"]);
  });

  it("keeps an out-of-stock order as STOCK_RESERVATION_FAILED and touches no counter", async () => {
    const a = await h.product({ onHand: 5 });
    const b = await h.product({ onHand: 1 });
    const res = await h.placeOrder([
      { productId: a, quantity: 2 },
      { productId: b, quantity: 2 },
    ]);
    expectProblem(res, 409, "OUT_OF_STOCK");
    expect(res.body.detail).toContain(b);
    const kept = await h.call("GET", `/orders/${res.body.orderId}`, { token: h.tokens.customer });
    expect(kept.body.status).toBe("STOCK_RESERVATION_FAILED");
    expect(kept.body.failureReason).toBeTruthy();
    const stockA = await h.call("GET", `/stores/${h.storeId}/products/${a}`, { token: h.tokens.customer });
    expect(stockA.body.stock).toEqual({ onHand: 5, available: 5, reserved: 0 });
  });
});

describe("idempotency keys", () => {
  it("replays the first response and reserves nothing more", async () => {
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const headers = { "Idempotency-Key": `key-${randomUUID()}` };
    const first = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    const again = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("x-request-id")).toBeTruthy();
    expect(again.body).toEqual(first.body);
    const stock = await h.call("GET", `/stores/${h.storeId}/products/${productId}`, { token: h.tokens.customer });
    expect(stock.body.stock.reserved).toBe(1);
    const reused = await h.call("POST", "/orders", {
      token: h.tokens.customer,
      body: { ...body, items: [{ productId, quantity: 2 }] },
      headers,
    });
    expectProblem(reused, 422, "IDEMPOTENCY_KEY_REUSED");
    // Scoped to the calling user: another customer may use the same key.
    const other = await h.call("POST", "/orders", { token: h.tokens.otherCustomer, body, headers });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
  });

  it("never makes a second order for twins racing with one key", async () => {
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const headers = { "Idempotency-Key": `twin-${randomUUID()}` };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => h.call("POST", "/orders", { token: h.tokens.customer, body, headers })),
    );
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of results) expect([201, 409]).toContain(r.status);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe("IDEMPOTENCY_KEY_IN_USE");
    const stock = await h.call("GET", `/stores/${h.storeId}/products/${productId}`, { token: h.tokens.customer });
    expect(stock.body.stock.reserved).toBe(1);
  });
});

describe("idempotency key in use", () => {
  it("answers 409 IDEMPOTENCY_KEY_IN_USE while the first request with the key has not finished", async () => {
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const key = `held-${randomUUID()}`;
    // The first request is still running: its claim exists, with no response yet.
    const { idempotencyClaims } = await import("../src/middleware/idempotency-claims.ts");
    const { idempotencyRequestHash } = await import("../src/middleware/idempotency.ts");
    const claims = idempotencyClaims({ redis: h.redis, prefix: `${h.prefix}:`, abandonedAfterMs: 30_000 });
    const hash = idempotencyRequestHash(h.customerId, "POST", "/orders", body);
    expect(await claims.take(h.customerId, key, randomUUID(), hash)).toBeNull();
    const res = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers: { "Idempotency-Key": key } });
    expectProblem(res, 409, "IDEMPOTENCY_KEY_IN_USE");
    expect((await h.stockOf(productId)).reserved).toBe(0);
  });
});

describe("rate limit", () => {
  it("answers 429 RATE_LIMITED with Retry-After past the per-minute budget", async () => {
    const limited = await createHarness({ rateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await limited.call("GET", "/orders", { token: limited.tokens.customer });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(last!.headers.get("ratelimit-limit")).toBe("3");
      expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(last!.body.code).toBe("RATE_LIMITED");
      // Another user has a budget of their own.
      expect((await limited.call("GET", "/orders", { token: limited.tokens.admin })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("operations", () => {
  it("serves health, readiness, metrics and the OpenAPI document", async () => {
    expect((await h.call("GET", "/healthz")).status).toBe(200);
    expect((await h.call("GET", "/readyz")).body).toMatchObject({ status: "ready" });
    const metrics = await h.call("GET", "/metrics");
    expect(metrics.body).toContain("http_request_duration_seconds");
    const doc = await h.call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    for (const path of ["/orders", "/orders/{id}", "/orders/{id}/audit", "/orders/{id}/payment", "/orders/{id}/cancel",
      "/orders/{id}/refund", "/orders/{id}/status", "/webhooks/payments", "/stores/{storeId}/products/{productId}",
      "/sandbox/payments/{paymentId}/complete", "/sandbox/payments/{paymentId}"]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    const docs = await h.app.request("/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
  });
});
