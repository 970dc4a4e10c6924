import { randomUUID } from "node:crypto";
import { sign } from "hono/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWT_SECRET, createHarness, token, type Harness } from "./support/harness.ts";
import { sendWebhook } from "./support/webhook.ts";
import { signWebhook } from "@order-flow/payments";
import { WEBHOOK_SECRET } from "./support/harness.ts";

// Input that passed validation and answered 500, and the hardening around authentication,
// driven through app.request() as the other API tests are.

const TOP_PRICE = 1_000_000_000;

async function eventually<T>(check: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await check();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await check();
  }
  return last;
}

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.body).toMatchObject({ status, code });
}

describe("money limits and BIGINT amounts", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
    await h.startWorker();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("takes a price of 1,000,000,000 and refuses one above it (400)", async () => {
    const id = await h.product({ price: TOP_PRICE });
    expect((await h.call("GET", `/stores/${h.storeId}/products/${id}`, { token: h.tokens.admin })).body.price).toBe(TOP_PRICE);
    const over = await h.call("PUT", `/stores/${h.storeId}/products/${randomUUID()}`, {
      token: h.tokens.admin,
      body: { name: "Gold", price: TOP_PRICE + 1, onHand: 1 },
    });
    expectProblem(over, 400, "VALIDATION_FAILED");
    expect(over.body.errors.map((e: { path: string }) => e.path)).toContain("price");
  });

  it("orders two at the top price, and 99 of it, with exact totals past 2^31", async () => {
    const productId = await h.product({ price: TOP_PRICE, onHand: 1000 });
    const two = await h.placeOrder([{ productId, quantity: 2 }]);
    expect(two.status, JSON.stringify(two.body)).toBe(201);
    expect(two.body.totalAmount).toBe(2 * TOP_PRICE);
    const many = await h.placeOrder([{ productId, quantity: 99 }]);
    expect(many.status, JSON.stringify(many.body)).toBe(201);
    expect(many.body).toMatchObject({ totalAmount: 99 * TOP_PRICE, items: [{ unitPrice: TOP_PRICE, quantity: 99 }] });
    // Read back from PostgreSQL through both paths (the pool and Prisma's list).
    expect((await h.call("GET", `/orders/${many.body.id}`, { token: h.tokens.customer })).body.totalAmount).toBe(99 * TOP_PRICE);
    const listed = await h.call("GET", "/orders?limit=100", { token: h.tokens.customer });
    expect(listed.body.items.find((o: { id: string }) => o.id === many.body.id)).toMatchObject({ totalAmount: 99 * TOP_PRICE });
    const payment = await h.call("POST", `/orders/${two.body.id}/payment`, { token: h.tokens.customer });
    expect(payment.status).toBe(202);
    expect(payment.body.amount).toBe(2 * TOP_PRICE);
  });

  it("refuses an order whose total is above 10^12 with 400, holding nothing", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) ids.push(await h.product({ price: TOP_PRICE, onHand: 500 }));
    const res = await h.placeOrder(ids.map((productId) => ({ productId, quantity: 99 })));
    expectProblem(res, 400, "VALIDATION_FAILED");
    for (const id of ids) expect(await h.stockOf(id)).toEqual({ onHand: 500, available: 500, reserved: 0 });
  });

  it("accepts a signed PAID webhook for 2^31 (200) and refunds it as a mismatch", async () => {
    const productId = await h.product({ price: 10_000 });
    const order = (await h.placeOrder([{ productId, quantity: 2 }])).body;
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    const res = await sendWebhook(h, { orderId: order.id, paymentId: payment.paymentId, status: "PAID", amount: 2 ** 31 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await h.call("GET", `/orders/${order.id}`, { token: h.tokens.customer })).body.status).toBe("PAYMENT_FAILED");
    const audit = await eventually(
      async () => (await h.call("GET", `/orders/${order.id}/audit`, { token: h.tokens.admin })).body as { eventType: string }[],
      (entries) => entries.some((e) => /REFUND/.test(e.eventType)),
    );
    expect(audit.some((e) => /REFUND/.test(e.eventType))).toBe(true);
  });

  it("refuses a webhook amount past 2^53 with 400 (not a number it can hold)", async () => {
    const res = await sendWebhook(h, { orderId: randomUUID(), paymentId: randomUUID(), status: "PAID", amount: 2 ** 53 + 2 });
    expectProblem(res, 400, "VALIDATION_FAILED");
  });
});

describe("NUL characters, cursors, tokens and UUID case", () => {
  let h: Harness;
  let productId: string;
  beforeAll(async () => {
    h = await createHarness();
    productId = await h.product({ onHand: 100 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refuses a NUL in a product name (400) and creates nothing", async () => {
    const id = randomUUID();
    const res = await h.call("PUT", `/stores/${h.storeId}/products/${id}`, {
      token: h.tokens.admin,
      body: { name: "Kim\u0000bap", price: 1000, onHand: 1 },
    });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors).toEqual([{ path: "name", message: expect.stringMatching(/NUL/) }]);
    expect((await h.call("GET", `/stores/${h.storeId}/products/${id}`, { token: h.tokens.admin })).status).toBe(404);
  });

  it("refuses a NUL in a cancel reason (400) and leaves the order as it was", async () => {
    const order = (await h.placeOrder([{ productId, quantity: 1 }])).body;
    const res = await h.call("POST", `/orders/${order.id}/cancel`, { token: h.tokens.customer, body: { reason: "changed\u0000mind" } });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect((await h.call("GET", `/orders/${order.id}`, { token: h.tokens.customer })).body.status).toBe("STOCK_RESERVED");
  });

  it("refuses a NUL in a query value (400)", async () => {
    expectProblem(await h.call("GET", "/orders?cursor=ab%00cd", { token: h.tokens.customer }), 400, "VALIDATION_FAILED");
  });

  it("refuses a NUL anywhere in a signed webhook, eventId or unknown field (400), recording nothing", async () => {
    const order = (await h.placeOrder([{ productId, quantity: 1 }])).body;
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    const base = { paymentId: payment.paymentId, orderId: order.id, status: "PAID", amount: order.totalAmount, pgTransactionId: "pg_1" };
    for (const body of [
      { ...base, eventId: `evt\u0000${randomUUID()}` },
      { ...base, eventId: randomUUID(), note: "a\u0000b" },
    ]) {
      const raw = JSON.stringify(body);
      const res = await h.call("POST", "/webhooks/payments", {
        body: raw,
        headers: { "X-Signature": signWebhook(raw, WEBHOOK_SECRET, Math.floor(Date.now() / 1000)) },
      });
      expectProblem(res, 400, "VALIDATION_FAILED");
    }
    expect(await h.prisma.paymentWebhookEvent.count()).toBe(0);
    expect((await h.call("GET", `/orders/${order.id}`, { token: h.tokens.customer })).body.status).toBe("PAYMENT_PENDING");
  });

  it("answers a deeply nested body with 400, not a stack overflow", async () => {
    const deep = "[".repeat(30_000) + "]".repeat(30_000);
    const webhook = await h.call("POST", "/webhooks/payments", {
      body: deep,
      headers: { "X-Signature": signWebhook(deep, WEBHOOK_SECRET, Math.floor(Date.now() / 1000)) },
    });
    expectProblem(webhook, 400, "VALIDATION_FAILED");
    const put = await h.call("PUT", `/stores/${h.storeId}/products/${randomUUID()}`, { token: h.tokens.admin, body: deep });
    expectProblem(put, 400, "VALIDATION_FAILED");
  });

  it("refuses a crafted cursor (400) and still pages with the ones it issued", async () => {
    const crafted = Buffer.from(JSON.stringify(["2999-01-01T00:00:00Z", "-".repeat(36)])).toString("base64url");
    const res = await h.call("GET", `/orders?cursor=${crafted}`, { token: h.tokens.customer });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors).toEqual([{ path: "cursor", message: expect.any(String) }]);
    const notUuid = Buffer.from(JSON.stringify([new Date().toISOString(), "g".repeat(8) + "-aaaa-4aaa-8aaa-aaaaaaaaaaaa"])).toString("base64url");
    expectProblem(await h.call("GET", `/orders?cursor=${notUuid}`, { token: h.tokens.customer }), 400, "VALIDATION_FAILED");

    const customer = await token({ role: "customer" });
    const storeId = h.storeId;
    for (let i = 0; i < 3; i++) {
      expect((await h.call("POST", "/orders", { token: customer, body: { storeId, items: [{ productId, quantity: 1 }] } })).status).toBe(201);
    }
    const first = await h.call("GET", "/orders?limit=2", { token: customer });
    expect(first.body.items).toHaveLength(2);
    const second = await h.call("GET", `/orders?limit=2&cursor=${first.body.nextCursor}`, { token: customer });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ items: [expect.any(Object)], nextCursor: null });
  });

  it("refuses a token without exp (401)", async () => {
    const noExp = await sign({ sub: randomUUID(), role: "admin" }, JWT_SECRET, "HS256");
    expectProblem(await h.call("GET", "/orders", { token: noExp }), 401, "UNAUTHENTICATED");
    expectProblem(await h.call("GET", `/orders/${randomUUID()}`, { token: noExp }), 401, "UNAUTHENTICATED");
  });

  it("gives a customer whose sub is upper case their own order back", async () => {
    const sub = randomUUID();
    const upper = await token({ sub: sub.toUpperCase(), role: "customer" });
    const placed = await h.call("POST", "/orders", { token: upper, body: { storeId: h.storeId, items: [{ productId, quantity: 1 }] } });
    expect(placed.status).toBe(201);
    expect(placed.body.userId).toBe(sub);
    expect((await h.call("GET", `/orders/${placed.body.id}`, { token: upper })).status).toBe(200);
    expect((await h.call("GET", `/orders/${placed.body.id.toUpperCase()}`, { token: upper })).body.id).toBe(placed.body.id);
    const lower = await token({ sub, role: "customer" });
    expect((await h.call("GET", `/orders/${placed.body.id}`, { token: lower })).status).toBe(200);
    expect((await h.call("GET", "/orders", { token: upper })).body.items.map((o: { id: string }) => o.id)).toEqual([placed.body.id]);
  });

  it("finds products and stores given in upper case (body, path, store token)", async () => {
    const placed = await h.call("POST", "/orders", {
      token: h.tokens.customer,
      body: { storeId: h.storeId.toUpperCase(), items: [{ productId: productId.toUpperCase(), quantity: 1 }] },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body).toMatchObject({ storeId: h.storeId, items: [{ productId }] });
    // The same product twice, in two cases, is one product.
    const twice = await h.call("POST", "/orders", {
      token: h.tokens.customer,
      body: { storeId: h.storeId, items: [{ productId, quantity: 1 }, { productId: productId.toUpperCase(), quantity: 1 }] },
    });
    expectProblem(twice, 400, "VALIDATION_FAILED");

    const shown = await h.call("GET", `/stores/${h.storeId.toUpperCase()}/products/${productId.toUpperCase()}`, { token: h.tokens.customer });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: productId, storeId: h.storeId });
    const storeUpper = await token({ role: "store", storeId: h.storeId.toUpperCase() });
    const renamed = await h.call("PUT", `/stores/${h.storeId.toUpperCase()}/products/${productId.toUpperCase()}`, {
      token: storeUpper,
      body: { name: "Renamed", price: 12000, onHand: 100 },
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({ id: productId, name: "Renamed" });
    expect(await h.prisma.product.count({ where: { storeId: h.storeId } })).toBe(1);
    expect((await h.call("GET", `/orders/${placed.body.id}`, { token: storeUpper })).status).toBe(200);
  });
});

describe("rate-limit buckets and UUID case", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ rateLimitPerMinute: 3 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("counts a user's upper- and lower-case tokens in one bucket", async () => {
    const minute = () => Math.floor(Date.now() / 60_000);
    // The budget is per clock minute: a run that straddles two minutes is tried again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const sub = randomUUID();
      const lower = await token({ sub, role: "customer" });
      const upper = await token({ sub: sub.toUpperCase(), role: "customer" });
      const started = minute();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await h.call("GET", "/orders", { token: i % 2 ? upper : lower })).status);
      const keys = await h.redis.keys(`${h.prefix}:rl:*`);
      expect(keys.filter((k) => k.includes(sub.toUpperCase()))).toEqual([]);
      expect(keys.some((k) => k.includes(sub))).toBe(true);
      if (minute() !== started) continue;
      expect(statuses).toEqual([200, 200, 200, 429]);
      return;
    }
    throw new Error("three runs straddled a minute boundary");
  });
});

describe("security headers", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("are on every response: success, problem, unknown route, webhook, documentation", async () => {
    const responses = [
      await h.call("GET", "/healthz"),
      await h.call("GET", "/orders"),
      await h.call("GET", "/no-such-route"),
      await h.call("POST", "/webhooks/payments", { body: "{}" }),
      await h.call("GET", "/openapi.json"),
      await h.call("GET", "/docs"),
      await h.call("GET", "/orders?limit=0", { token: h.tokens.customer }),
    ];
    for (const res of responses) {
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
      expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("strict-transport-security")).toMatch(/max-age=/);
      expect(res.headers.get("x-request-id")).toBeTruthy();
    }
  });

  it("let the queue dashboard work: its scripts are same-origin files that load, its only inline script a JSON block", async () => {
    const auth = { Authorization: `Bearer ${h.tokens.admin}` };
    const page = await h.app.request("/admin/queues", { headers: auth });
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    const html = await page.text();
    const base = new URL(html.match(/<base href="([^"]+)"/)![1]!, "http://api.local/");
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
    const sources = scripts.flatMap((attrs) => attrs.match(/src="([^"]+)"/)?.[1] ?? []);
    expect(sources.length).toBeGreaterThan(0);
    for (const attrs of scripts.filter((a) => !/src=/.test(a))) expect(attrs).toMatch(/type="application\/json"/);
    const stylesheets = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*>/g)].map((m) => m[0].match(/href="([^"]+)"/)![1]!);
    const sameOriginStyles = stylesheets.filter((href) => new URL(href, base).origin === base.origin);
    expect(sameOriginStyles.length).toBeGreaterThan(0);
    for (const src of [...sources, ...sameOriginStyles]) {
      const url = new URL(src, base);
      expect(url.origin, src).toBe(base.origin);
      const asset = await h.app.request(url.pathname, { headers: auth });
      expect(asset.status, url.pathname).toBe(200);
    }
  });

  it("let /docs start Swagger UI with its inline script", async () => {
    const res = await h.app.request("/docs");
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self' 'unsafe-inline'/);
  });
});

describe("failed authentication per client address", () => {
  const ADMIN_USER = "ops";
  const ADMIN_PASSWORD = "a-long-admin-password";
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true, adminUser: ADMIN_USER, adminPassword: ADMIN_PASSWORD, authFailureLimit: 3 });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A request from one client address, as the Node server hands it to the app. */
  const from = (address: string, path: string, headers: Record<string, string> = {}) =>
    h.app.request(path, { headers }, { incoming: { socket: { remoteAddress: address } } });
  const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

  it("answers 429 with Retry-After after 3 bad bearer tokens; another address and a valid token still pass", async () => {
    const guesser = "203.0.113.7";
    for (let i = 0; i < 3; i++) expect((await from(guesser, "/orders", { Authorization: `Bearer bad.token.${i}` })).status).toBe(401);
    const limited = await from(guesser, "/orders", { Authorization: "Bearer bad.token.4" });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await from(guesser, "/orders")).status).toBe(429);
    expect((await from("203.0.113.8", "/orders", { Authorization: "Bearer bad.token" })).status).toBe(401);
    // Authentication comes first (API.md): a valid token is not refused for its address's failures.
    expect((await from(guesser, "/orders", { Authorization: `Bearer ${h.tokens.customer}` })).status).toBe(200);
  });

  it("stops basic-auth guesses on the dashboard: past the limit even the right password is 429", async () => {
    const guesser = "198.51.100.9";
    for (let i = 0; i < 3; i++) expect((await from(guesser, "/admin/queues", basic(ADMIN_USER, `guess-${i}`))).status).toBe(401);
    const limited = await from(guesser, "/admin/queues", basic(ADMIN_USER, ADMIN_PASSWORD));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await from("198.51.100.10", "/admin/queues", basic(ADMIN_USER, ADMIN_PASSWORD))).status).toBe(200);
  });
});

describe("/metrics with METRICS_TOKEN", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ metricsToken: "scrape-token-0123456789" });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("wants the token as a bearer token; /healthz stays open", async () => {
    expectProblem(await h.call("GET", "/metrics"), 401, "UNAUTHENTICATED");
    expectProblem(await h.call("GET", "/metrics", { token: "wrong" }), 401, "UNAUTHENTICATED");
    expectProblem(await h.call("GET", "/metrics", { token: h.tokens.admin }), 401, "UNAUTHENTICATED");
    const ok = await h.call("GET", "/metrics", { token: "scrape-token-0123456789" });
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toContain("http_request_duration_seconds");
    expect((await h.call("GET", "/healthz")).status).toBe(200);
  });
});

describe("expired idempotency keys", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("are purged by the worker's idempotency-key-purge scheduler; live ones stay", async () => {
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    for (const key of ["old-key", "live-key"]) {
      expect((await h.call("POST", "/orders", { token: h.tokens.customer, body, headers: { "Idempotency-Key": key } })).status).toBe(201);
    }
    await h.prisma.idempotencyKey.updateMany({ where: { key: "old-key" }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const worker = await h.startWorker({ idempotencyPurgeIntervalMs: 200 });
    const schedulers = await worker.queues.maintenance.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain("idempotency-key-purge");
    await eventually(
      () => h.prisma.idempotencyKey.count({ where: { key: "old-key" } }),
      (n) => n === 0,
    );
    expect(await h.prisma.idempotencyKey.count({ where: { key: "live-key" } })).toBe(1);
  });
});
