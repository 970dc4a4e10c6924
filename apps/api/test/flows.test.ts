import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";
import { sendWebhook } from "./support/webhook.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => {
  await h.close();
});

async function placed(quantity = 2, onHand = 10) {
  const productId = await h.product({ onHand, price: 5000 });
  const res = await h.placeOrder([{ productId, quantity }]);
  expect(res.status).toBe(201);
  return { productId, order: res.body };
}

async function pay(orderId: string, outcome: "PAID" | "FAILED" = "PAID") {
  const payment = await h.call("POST", `/orders/${orderId}/payment`, { token: h.tokens.customer });
  expect(payment.status).toBe(202);
  const done = await h.call("POST", `/sandbox/payments/${payment.body.paymentId}/complete`, {
    token: h.tokens.customer,
    body: { outcome },
  });
  expect(done.status).toBe(202);
  return payment.body;
}

async function auditTypes(orderId: string) {
  const res = await h.call("GET", `/orders/${orderId}/audit`, { token: h.tokens.admin });
  return res.body.map((e: { eventType: string }) => e.eventType) as string[];
}

describe("the seed's flows", () => {
  it("pay → PREPARING, with the stock sold", async () => {
    const { productId, order } = await placed(2, 10);
    const payment = await pay(order.id);
    expect(payment).toMatchObject({ orderId: order.id, amount: 10000, status: "PAYMENT_PENDING" });
    const done = await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect(done.confirmedAt).not.toBeNull();
    expect(done.paymentId).toBe(payment.paymentId);
    expect(await h.stockOf(productId)).toEqual({ onHand: 8, available: 8, reserved: 0 });
    const types = await auditTypes(order.id);
    for (const t of ["ORDER_CREATED", "STOCK_RESERVED", "PAYMENT_REQUESTED", "PAYMENT_COMPLETED", "ORDER_CONFIRMED"]) {
      expect(types.filter((x) => x === t)).toHaveLength(1);
    }
  });

  it("asking to pay again while pending returns the same payment and records nothing new", async () => {
    const { order } = await placed();
    const first = await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer });
    const second = await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer });
    expect(second.status).toBe(202);
    expect(second.body.paymentId).toBe(first.body.paymentId);
    expect((await auditTypes(order.id)).filter((t) => t === "PAYMENT_REQUESTED")).toHaveLength(1);
  });

  it("cancel before payment gives the stock back before the response", async () => {
    const { productId, order } = await placed(3, 10);
    const res = await h.call("POST", `/orders/${order.id}/cancel`, { token: h.tokens.customer, body: { reason: "changed my mind" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ORDER_CANCELLED", failureReason: "changed my mind" });
    expect(res.body.cancelledAt).not.toBeNull();
    expect(await h.stockOf(productId)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    expect((await h.call("POST", `/orders/${order.id}/cancel`, { token: h.tokens.customer })).body.code).toBe(
      "INVALID_STATE_TRANSITION",
    );
  });

  it("payment declined, then retried and paid", async () => {
    const { order } = await placed();
    const first = await pay(order.id, "FAILED");
    const failed = await h.waitForOrder(order.id, (o) => o.status === "PAYMENT_FAILED");
    expect(failed.failureReason).toBeTruthy();
    const second = await pay(order.id, "PAID");
    expect(second.paymentId).not.toBe(first.paymentId);
    const done = await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect(done.failureReason).toBeNull();
  });

  it("store flow to DELIVERED, then a refund to REFUND_COMPLETED", async () => {
    const { order } = await placed();
    await pay(order.id);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
      const res = await h.call("POST", `/orders/${order.id}/status`, { token: h.tokens.store, body: { status } });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
    }
    const refund = await h.call("POST", `/orders/${order.id}/refund`, { token: h.tokens.customer, body: { reason: "broken" } });
    expect(refund.status).toBe(202);
    expect(refund.body.status).toBe("REFUND_REQUESTED");
    const done = await h.waitForOrder(order.id, (o) => o.status === "REFUND_COMPLETED");
    expect(done.refundId).toBeTruthy();
  });

  it("the customer may complete a delivered order; the store may not refund", async () => {
    const { order } = await placed();
    await pay(order.id);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
      await h.call("POST", `/orders/${order.id}/status`, { token: h.tokens.admin, body: { status } });
    }
    expect((await h.call("POST", `/orders/${order.id}/refund`, { token: h.tokens.store })).body.code).toBe("FORBIDDEN");
    const customerMove = await h.call("POST", `/orders/${order.id}/status`, { token: h.tokens.customer, body: { status: "DELIVERING" } });
    expect(customerMove.body.code).toBe("FORBIDDEN");
    const done = await h.call("POST", `/orders/${order.id}/status`, { token: h.tokens.customer, body: { status: "COMPLETED" } });
    expect(done.body.status).toBe("COMPLETED");
  });

  it("store rejection gives sold stock back and refunds the payment", async () => {
    const { productId, order } = await placed(2, 10);
    await pay(order.id);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect(await h.stockOf(productId)).toEqual({ onHand: 8, available: 8, reserved: 0 });
    const res = await h.call("POST", `/orders/${order.id}/status`, {
      token: h.tokens.store,
      body: { status: "STORE_REJECTED", reason: "out of rice" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "STORE_REJECTED", failureReason: "out of rice" });
    expect(await h.stockOf(productId)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    const refunded = await h.waitForOrder(order.id, (o) => o.refundId !== null);
    expect(refunded.status).toBe("STORE_REJECTED");
    expect((await auditTypes(order.id)).some((t) => t.includes("REFUND"))).toBe(true);
  });
});

describe("the payment webhook", () => {
  it("refuses a bad signature, a stale timestamp and a tampered body, changing nothing", async () => {
    const { order } = await placed();
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    const input = { orderId: order.id, paymentId: payment.paymentId, status: "PAID" as const, amount: order.totalAmount };
    for (const res of [
      await sendWebhook(h, input, { secret: "wrong" }),
      await sendWebhook(h, input, { t: Math.floor(Date.now() / 1000) - 301 }),
      await sendWebhook(h, input, { t: Math.floor(Date.now() / 1000) + 301 }),
      await sendWebhook(h, input, { tamper: true }),
      await h.call("POST", "/webhooks/payments", { body: JSON.stringify(input) }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("UNAUTHENTICATED");
    }
    const after = await h.call("GET", `/orders/${order.id}`, { token: h.tokens.customer });
    expect(after.body.status).toBe("PAYMENT_PENDING");
  });

  it("accepts a replayed eventId with 200 and no second effect", async () => {
    const { order } = await placed();
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    const input = { orderId: order.id, paymentId: payment.paymentId, status: "PAID" as const, amount: order.totalAmount, eventId: randomUUID() };
    expect((await sendWebhook(h, input)).status).toBe(200);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    const replay = await sendWebhook(h, input);
    expect(replay.status).toBe(200);
    expect(replay.body.outcome).toBe("DUPLICATE");
    expect((await auditTypes(order.id)).filter((t) => t.includes("REFUND"))).toHaveLength(0);
  });

  it("applies one of eight twins of an event sent at once; the others are duplicates", async () => {
    const { order } = await placed();
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    const input = { orderId: order.id, paymentId: payment.paymentId, status: "PAID" as const, amount: order.totalAmount, eventId: randomUUID() };
    const answers = await Promise.all(Array.from({ length: 8 }, () => sendWebhook(h, input)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const outcomes = answers.map((a) => a.body.outcome as string).sort();
    expect(outcomes).toEqual(["DUPLICATE", "DUPLICATE", "DUPLICATE", "DUPLICATE", "DUPLICATE", "DUPLICATE", "DUPLICATE", "PAYMENT_COMPLETED"]);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    const types = await auditTypes(order.id);
    expect(types.filter((t) => t === "PAYMENT_COMPLETED")).toHaveLength(1);
    expect(types.filter((t) => t.includes("REFUND"))).toHaveLength(0);
  });

  it("takes one capture of a payment when two events capture it at once, and refunds the other", async () => {
    const { order } = await placed();
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    const input = { orderId: order.id, paymentId: payment.paymentId, status: "PAID" as const, amount: order.totalAmount };
    const answers = await Promise.all([sendWebhook(h, { ...input, eventId: randomUUID() }), sendWebhook(h, { ...input, eventId: randomUUID() })]);
    expect(answers.map((a) => a.body.outcome as string).sort()).toEqual(["PAYMENT_COMPLETED", "REFUND_DUPLICATE_CAPTURE"]);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    const types = await waitForAudit(order.id, (t) => t.some((x) => x.includes("REFUND")));
    expect(types.filter((t) => t === "PAYMENT_COMPLETED")).toHaveLength(1);
    expect(types.filter((t) => t.includes("REFUND"))).toHaveLength(1);
  });

  it("ignores an unknown payment or order with 200", async () => {
    const res = await sendWebhook(h, { orderId: randomUUID(), paymentId: randomUUID(), status: "PAID", amount: 1 });
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe("UNKNOWN");
  });

  it("refuses a wrong amount: PAYMENT_FAILED, refunded, audited", async () => {
    const { order } = await placed();
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    const res = await sendWebhook(h, { orderId: order.id, paymentId: payment.paymentId, status: "PAID", amount: 1 });
    expect(res.status).toBe(200);
    const failed = await h.waitForOrder(order.id, (o) => o.status === "PAYMENT_FAILED");
    expect(failed.failureReason).toMatch(/amount/i);
    await waitForAudit(order.id, (types) => types.some((t) => t.includes("REFUND")));
  });

  it("refunds a payment for a cancelled order and keeps its status", async () => {
    const { order } = await placed();
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    await h.call("POST", `/orders/${order.id}/cancel`, { token: h.tokens.customer });
    const res = await sendWebhook(h, { orderId: order.id, paymentId: payment.paymentId, status: "PAID", amount: order.totalAmount });
    expect(res.status).toBe(200);
    await waitForAudit(order.id, (types) => types.includes("LATE_PAYMENT_REFUNDED"));
    expect((await h.call("GET", `/orders/${order.id}`, { token: h.tokens.admin })).body.status).toBe("ORDER_CANCELLED");
  });
});

describe("authorization", () => {
  it("answers 404 for another customer's or store's order on every order endpoint", async () => {
    const { order } = await placed();
    const outsiders = [h.tokens.otherCustomer, h.tokens.otherStore];
    const calls: [string, string, unknown?][] = [
      ["GET", `/orders/${order.id}`],
      ["GET", `/orders/${order.id}/audit`],
      ["POST", `/orders/${order.id}/payment`],
      ["POST", `/orders/${order.id}/cancel`, {}],
      ["POST", `/orders/${order.id}/refund`, {}],
      ["POST", `/orders/${order.id}/status`, { status: "DELIVERED" }],
    ];
    for (const t of outsiders) {
      for (const [method, path, body] of calls) {
        const res = await h.call(method, path, { token: t, ...(body !== undefined ? { body } : {}) });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.code).toBe("NOT_FOUND");
      }
    }
    const listed = await h.call("GET", "/orders?limit=100", { token: h.tokens.otherCustomer });
    expect(listed.body.items.map((o: { id: string }) => o.id)).not.toContain(order.id);
    const storeList = await h.call("GET", `/orders?storeId=${h.storeId}&limit=100`, { token: h.tokens.otherStore });
    expect(storeList.body.items).toHaveLength(0);
  });

  it("lets the store see its order but not pay or cancel it (403)", async () => {
    const { order } = await placed();
    expect((await h.call("GET", `/orders/${order.id}`, { token: h.tokens.store })).status).toBe(200);
    expect((await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.store })).body.code).toBe("FORBIDDEN");
    expect((await h.call("POST", `/orders/${order.id}/cancel`, { token: h.tokens.store })).body.code).toBe("FORBIDDEN");
    expect((await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.admin })).body.code).toBe("FORBIDDEN");
  });
});

describe("concurrency", () => {
  it("200 customers race for 50 units: 50 win, all pay, stock ends at 0/0/0", async () => {
    const productId = await h.product({ onHand: 50, price: 1000 });
    const { token } = await import("./support/harness.ts");
    const customers = await Promise.all(Array.from({ length: 200 }, () => token({ role: "customer" })));
    const results = await Promise.all(customers.map((t) => h.placeOrder([{ productId, quantity: 1 }], t)));
    const winners = results.map((r, i) => ({ r, t: customers[i]! })).filter(({ r }) => r.status === 201);
    const unexpected = results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body);
    expect(unexpected).toEqual([]);
    expect(winners).toHaveLength(50);
    expect(results.filter((r) => r.status === 409 && r.body.code === "OUT_OF_STOCK")).toHaveLength(150);
    await Promise.all(
      winners.map(async ({ r, t }) => {
        const p = await h.call("POST", `/orders/${r.body.id}/payment`, { token: t });
        await h.call("POST", `/sandbox/payments/${p.body.paymentId}/complete`, { token: t, body: { outcome: "PAID" } });
      }),
    );
    for (const { r } of winners) await h.waitForOrder(r.body.id, (o) => o.status === "PREPARING", 60_000);
    expect(await h.stockOf(productId)).toEqual({ onHand: 0, available: 0, reserved: 0 });
  });
});

async function waitForAudit(orderId: string, done: (types: string[]) => boolean) {
  const deadline = Date.now() + 20_000;
  let types: string[] = [];
  while (Date.now() < deadline) {
    types = await auditTypes(orderId);
    if (done(types)) return types;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`audit did not settle: ${types.join(", ")}`);
}
