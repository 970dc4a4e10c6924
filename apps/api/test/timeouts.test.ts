import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";
import { sendWebhook } from "./support/webhook.ts";

const HOLD_SECONDS = 2;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ holdSeconds: HOLD_SECONDS });
  await h.startWorker();
});
afterAll(async () => {
  await h.close();
});

async function auditTypes(orderId: string): Promise<string[]> {
  return (await h.call("GET", `/orders/${orderId}/audit`, { token: h.tokens.admin })).body.map((e: any) => e.eventType);
}

describe("payment timeouts", () => {
  it("times an unpaid order out at its deadline and gives the stock back", async () => {
    const productId = await h.product({ onHand: 5 });
    const order = (await h.placeOrder([{ productId, quantity: 2 }])).body;
    expect(await h.stockOf(productId)).toEqual({ onHand: 5, available: 3, reserved: 2 });
    const done = await h.waitForOrder(order.id, (o) => o.status === "PAYMENT_TIMEOUT");
    expect(done.failureReason).toBeTruthy();
    // The deadline is judged by the delayed job, not a minute-long sweep.
    expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(Date.parse(order.expiresAt));
    expect(await h.stockOf(productId)).toEqual({ onHand: 5, available: 5, reserved: 0 });
    expect((await auditTypes(order.id)).filter((t) => t === "ORDER_TIMEOUT")).toHaveLength(1);
    expect((await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body.code).toBe(
      "INVALID_STATE_TRANSITION",
    );
  });

  it("refunds a payment that arrives after the timeout and keeps the status", async () => {
    const productId = await h.product({ onHand: 5 });
    const order = (await h.placeOrder([{ productId, quantity: 1 }])).body;
    const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
    await h.waitForOrder(order.id, (o) => o.status === "PAYMENT_TIMEOUT");
    const res = await sendWebhook(h, { orderId: order.id, paymentId: payment.paymentId, status: "PAID", amount: order.totalAmount });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 20_000;
    while (!(await auditTypes(order.id)).includes("LATE_PAYMENT_REFUNDED")) {
      if (Date.now() > deadline) throw new Error("late payment was not refunded");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await h.call("GET", `/orders/${order.id}`, { token: h.tokens.admin })).body.status).toBe("PAYMENT_TIMEOUT");
    expect(await h.stockOf(productId)).toEqual({ onHand: 5, available: 5, reserved: 0 });
  });

  it("webhook against timeout, raced many times: never both, and the deadline is judged at acceptance", async () => {
    const productId = await h.product({ onHand: 1000, price: 100 });
    const runs = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const order = (await h.placeOrder([{ productId, quantity: 1 }])).body;
        const payment = (await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer })).body;
        const expiresAt = Date.parse(order.expiresAt);
        // Spread the webhooks from 400 ms before to 400 ms after the deadline.
        const sendAt = expiresAt - 400 + ((i * 800) / 29);
        await new Promise((r) => setTimeout(r, Math.max(0, sendAt - Date.now())));
        const sentAt = Date.now();
        const res = await sendWebhook(h, { orderId: order.id, paymentId: payment.paymentId, status: "PAID", amount: order.totalAmount });
        const answeredAt = Date.now();
        expect(res.status).toBe(200);
        return { id: order.id, expiresAt, sentAt, answeredAt };
      }),
    );
    for (const run of runs) {
      const final = await h.waitForOrder(run.id, (o) => o.status === "PREPARING" || o.status === "PAYMENT_TIMEOUT");
      const types = await auditTypes(run.id);
      const confirmed = types.includes("ORDER_CONFIRMED");
      const timedOut = types.includes("ORDER_TIMEOUT");
      expect(confirmed && timedOut).toBe(false);
      if (run.answeredAt < run.expiresAt) expect(final.status).toBe("PREPARING");
      if (run.sentAt >= run.expiresAt) expect(final.status).toBe("PAYMENT_TIMEOUT");
      if (final.status === "PAYMENT_TIMEOUT") {
        const deadline = Date.now() + 20_000;
        while (!(await auditTypes(run.id)).some((t) => t.includes("REFUND"))) {
          if (Date.now() > deadline) throw new Error(`late payment of ${run.id} was not refunded`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    const sold = runs.length - (await Promise.all(runs.map((r) => h.waitForOrder(r.id, () => true)))).filter(
      (o) => o.status === "PAYMENT_TIMEOUT",
    ).length;
    expect(await h.stockOf(productId)).toEqual({ onHand: 1000 - sold, available: 1000 - sold, reserved: 0 });
  });
});

describe("backing services down", () => {
  it("answers 503 SERVICE_UNAVAILABLE at once when Redis is unreachable", async () => {
    const down = await createHarness({ apiRedisUrl: "redis://127.0.0.1:1" });
    try {
      const ready = await down.call("GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", redis: "down", postgres: "up" });
      await down.prisma.product.create({
        data: { id: crypto.randomUUID(), storeId: down.storeId, name: "x", price: 1, onHand: 1, createdAt: new Date(), updatedAt: new Date() },
      });
      const product = await down.prisma.product.findFirstOrThrow({ where: { storeId: down.storeId } });
      const res = await down.placeOrder([{ productId: product.id, quantity: 1 }]);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe("SERVICE_UNAVAILABLE");
      expect(await down.prisma.order.count()).toBe(0);
    } finally {
      await down.close().catch(() => {});
    }
  });
});
