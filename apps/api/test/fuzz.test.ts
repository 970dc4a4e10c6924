import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "@order-flow/payments";
import { WEBHOOK_SECRET, createHarness, token, type Harness } from "./support/harness.ts";

let h: Harness;
let orderId: string;
let productId: string;
beforeAll(async () => {
  h = await createHarness();
  productId = await h.product({ onHand: 1000 });
  orderId = (await h.placeOrder([{ productId, quantity: 1 }])).body.id;
});
afterAll(async () => {
  await h.close();
});

const jsonish = fc.oneof(
  fc.jsonValue(),
  fc.record({
    storeId: fc.oneof(fc.uuid(), fc.string()),
    items: fc.array(
      fc.record({ productId: fc.oneof(fc.uuid(), fc.string()), quantity: fc.oneof(fc.integer(), fc.double(), fc.string()) }),
      { maxLength: 60 },
    ),
  }),
  fc.record({ status: fc.string(), reason: fc.oneof(fc.string(), fc.integer()) }),
  fc.record({ name: fc.string(), price: fc.oneof(fc.integer(), fc.double()), onHand: fc.integer() }),
);

const bodyText = fc.oneof(jsonish.map((v) => JSON.stringify(v)), fc.string(), fc.constant(""), fc.constant("{"));

describe("input fuzzing", () => {
  it("never answers 500 and never changes anything on a rejected request", async () => {
    const paths = () => [
      ["POST", "/orders"],
      ["GET", "/orders"],
      ["GET", `/orders/${orderId}`],
      ["GET", `/orders/${orderId}/audit`],
      ["POST", `/orders/${orderId}/cancel`],
      ["POST", `/orders/${orderId}/refund`],
      ["POST", `/orders/${orderId}/status`],
      ["PUT", `/stores/${h.storeId}/products/${productId}`],
      ["GET", `/stores/${h.storeId}/products/${productId}`],
      ["POST", "/webhooks/payments"],
      ["POST", `/sandbox/payments/${randomUUID()}/complete`],
    ] as const;
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: paths().length - 1 }),
        bodyText,
        fc.constantFrom("customer", "otherCustomer", "store", "otherStore", "admin", "none", "garbage"),
        fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8", ""),
        fc.oneof(fc.constant(""), fc.string({ maxLength: 40 }), fc.webPath()),
        fc.option(fc.string({ maxLength: 300 })),
        async (which, body, who, contentType, suffix, idempotencyKey) => {
          const [method, base] = paths()[which]!;
          const headers: Record<string, string> = {};
          if (contentType) headers["Content-Type"] = contentType;
          if (idempotencyKey !== null) headers["Idempotency-Key"] = idempotencyKey;
          if (who === "garbage") headers.Authorization = "Bearer x.y.z";
          else if (who !== "none") headers.Authorization = `Bearer ${h.tokens[who as keyof typeof h.tokens]}`;
          // Mutating bodies must be rejected: only shapes that cannot be valid are sent to mutating routes.
          const path = suffix && !suffix.includes("?") ? `${base}${encodeURI(suffix).replace(/^([^/])/, "/$1")}` : base;
          let res: Response;
          try {
            res = await h.app.request(path, { method, headers, ...(method === "GET" ? {} : { body }) });
          } catch (err) {
            // A URL the runtime itself refuses never reaches the app.
            if (err instanceof TypeError) return;
            throw err;
          }
          expect(res.status, `${method} ${path} ${body.slice(0, 80)}`).not.toBe(500);
          if (res.status >= 400) {
            expect(res.headers.get("content-type")).toContain("application/problem+json");
            const text = await res.text();
            expect(text).not.toMatch(/\.ts:\d+/);
          }
        },
      ),
      { numRuns: 400, seed: 20261126 },
    );
    // Valid bodies can slip through for some routes (a cancel with a random reason, a PUT with a
    // valid product); what must hold is that stock stays conserved and nothing is half-written.
    const after = await snapshot();
    expect(after.available + after.reserved).toBe(after.onHand);
    expect(after.ordersWithoutAudit).toBe(0);
    expect(before.ordersWithoutAudit).toBe(0);
  });
});

/** Strings with a NUL somewhere, integers around 2^31 and 2^53, UUIDs in upper case. */
const withNul = fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `${a}\u0000${b}`);
const bigInteger = fc.oneof(
  fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, -(2 ** 31), 1e12, 1e12 + 1),
  fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }),
);
const upperUuid = fc.uuid().map((u) => u.toUpperCase());

describe("hostile values", () => {
  it("never answers 500 to NUL characters, integers past 2^31 and 2^53, or upper-case UUIDs", async () => {
    const paymentOrder = (await h.placeOrder([{ productId, quantity: 1 }])).body;
    const paymentId = (await h.call("POST", `/orders/${paymentOrder.id}/payment`, { token: h.tokens.customer })).body.paymentId as string;
    const upperCustomer = await token({ sub: h.customerId.toUpperCase(), role: "customer" });
    const text = fc.oneof(fc.string({ maxLength: 30 }), withNul);
    const id = (real: string) => fc.oneof(fc.constant(real), fc.constant(real.toUpperCase()), upperUuid, withNul);
    const amount = fc.oneof(bigInteger, fc.integer({ min: 0, max: 100_000 }));
    const request = fc.oneof(
      fc.record({ storeId: id(h.storeId), productId: id(productId), quantity: fc.oneof(bigInteger, fc.integer({ min: 1, max: 99 })) }).map(
        (r) => ({ method: "POST", path: "/orders", body: { storeId: r.storeId, items: [{ productId: r.productId, quantity: r.quantity }] } }),
      ),
      fc.record({ name: text, price: amount, onHand: amount, product: id(randomUUID()) }).map((r) => ({
        method: "PUT",
        path: `/stores/${encodeURIComponent(h.storeId.toUpperCase())}/products/${encodeURIComponent(r.product)}`,
        body: { name: r.name, price: r.price, onHand: r.onHand },
      })),
      fc.record({ order: id(orderId), reason: text }).map((r) => ({
        method: "POST",
        path: `/orders/${encodeURIComponent(r.order)}/cancel`,
        body: { reason: r.reason },
      })),
      fc.record({ order: id(orderId), status: fc.constantFrom("DELIVERED", "STORE_REJECTED"), reason: text }).map((r) => ({
        method: "POST",
        path: `/orders/${encodeURIComponent(r.order)}/status`,
        body: { status: r.status, reason: r.reason },
      })),
      fc.record({ order: id(orderId), cursor: text, storeId: id(h.storeId) }).map((r) => ({
        method: "GET",
        path: `/orders/${encodeURIComponent(r.order)}?x=1`,
        query: `?cursor=${encodeURIComponent(r.cursor)}&storeId=${encodeURIComponent(r.storeId)}`,
      })),
      fc
        .record({
          eventId: fc.oneof(fc.uuid(), withNul),
          paymentId: id(paymentId),
          orderId: id(paymentOrder.id),
          status: fc.constantFrom("PAID", "FAILED"),
          amount,
          pgTransactionId: text,
          failureReason: fc.option(text, { nil: undefined }),
        })
        .map((body) => ({ method: "POST", path: "/webhooks/payments", body, signed: true })),
      fc.record({ payment: id(paymentId), amount, reason: text }).map((r) => ({
        method: "POST",
        path: `/sandbox/payments/${encodeURIComponent(r.payment)}/complete`,
        body: { outcome: "FAILED", amount: r.amount, failureReason: r.reason },
      })),
    );
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(request, fc.constantFrom("customer", "upperCustomer", "admin"), async (req, who) => {
        const r = req as { method: string; path: string; body?: unknown; query?: string; signed?: boolean };
        const headers: Record<string, string> = { Authorization: `Bearer ${who === "upperCustomer" ? upperCustomer : h.tokens[who as "customer" | "admin"]}` };
        let body: string | undefined;
        if (r.body !== undefined) {
          body = JSON.stringify(r.body);
          headers["Content-Type"] = "application/json";
          if (r.signed) headers["X-Signature"] = signWebhook(body, WEBHOOK_SECRET, Math.floor(Date.now() / 1000));
        }
        const path = r.query ? r.path.replace("?x=1", r.query) : r.path;
        const paths = r.query ? [path, "/orders" + r.query] : [path];
        for (const p of paths) {
          const res = await h.app.request(p, { method: r.method, headers, ...(body !== undefined ? { body } : {}) });
          expect(res.status, `${r.method} ${p} ${body?.slice(0, 120)}`).not.toBe(500);
          if (res.status >= 400) expect(res.headers.get("content-type")).toContain("application/problem+json");
        }
      }),
      { numRuns: 300, seed: 20261201 },
    );
    const after = await snapshot();
    expect(after.available + after.reserved).toBe(after.onHand);
    expect(after.ordersWithoutAudit).toBe(0);
    expect(before.ordersWithoutAudit).toBe(0);
  });
});

async function snapshot() {
  const stock = await h.stockOf(productId);
  const ordersWithoutAudit = await h.prisma.order.count({
    where: { NOT: { id: { in: (await h.prisma.orderAudit.findMany({ select: { orderId: true } })).map((a) => a.orderId) } } },
  });
  return { ...stock, ordersWithoutAudit };
}
