import { randomUUID } from "node:crypto";
import { pgOrderStore } from "@order-flow/db";
import { Order, type Actor, type OrderState } from "@order-flow/domain";
import { describe, expect, it } from "vitest";
import { harnessPerTest, token, type Harness } from "./support/harness.ts";

const api = harnessPerTest();

async function placed(h: Harness): Promise<{ id: string }> {
  const productId = await h.product({ price: 1200, onHand: 10 });
  const res = await h.call("POST", "/orders", { token: h.tokens.customer, body: { storeId: h.storeId, items: [{ productId, quantity: 1 }] } });
  expect(res.status).toBe(201);
  return res.body;
}

/** A change made through another API process: this one's remembered copy is now stale. */
async function elsewhere(h: Harness, orderId: string, change: (order: OrderState, actor: Actor) => ReturnType<typeof Order.requestPayment>) {
  const store = pgOrderStore(h.db.database);
  const order = (await store.find(orderId))!;
  const actor: Actor = { role: "customer", userId: order.userId, storeId: null };
  const result = change(order, actor);
  const paymentId = result.order.paymentId;
  const alongside = paymentId && !order.paymentId
    ? [{ kind: "openPayment" as const, paymentId, orderId, amount: order.totalAmount, at: result.order.updatedAt }]
    : [];
  expect(await store.save(result, { alongside })).toBe("APPLIED");
  return result.order;
}

const now = () => ({ now: new Date(), newId: randomUUID });

describe("POST /orders/:id/payment on the order this process just placed", () => {
  it("is written on the remembered copy without reading the order", async () => {
    const reads: string[] = [];
    const h = await api({
      wrapOrders: (orders) => ({
        ...orders,
        save: orders.save.bind(orders),
        recordOnce: orders.recordOnce.bind(orders),
        readWebhookSubject: orders.readWebhookSubject.bind(orders),
        find: (id) => (reads.push(id), orders.find(id)),
        findForViewer: (id, viewer) => (reads.push(id), orders.findForViewer(id, viewer)),
      }),
    });
        const order = await placed(h);
    const res = await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("PAYMENT_PENDING");
    expect(reads).toEqual([]);
    // Asked again: the copy was used once, so this one reads, and answers the same payment.
    const again = await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer });
    expect(again.body.paymentId).toBe(res.body.paymentId);
    expect(reads).toEqual([order.id]);
  });

  it("a copy gone stale (payment asked through another process) answers as without it: the same pending payment", async () => {
    const h = await api();
    const order = await placed(h);
    const paymentId = randomUUID();
    await elsewhere(h, order.id, (o, actor) => Order.requestPayment(o, { actor, ...now() }, { paymentId }));
    const res = await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer });
    expect(res.status).toBe(202);
    expect(res.body.paymentId).toBe(paymentId);
  });

  it("a copy gone stale (cancelled through another process) answers 409 as without it, and writes nothing", async () => {
    const h = await api();
    const order = await placed(h);
    const cancelled = await elsewhere(h, order.id, (o, actor) => Order.cancel(o, { actor, ...now() }, { reason: "changed my mind" }));
    const res = await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("INVALID_STATE_TRANSITION");
    const stored = await pgOrderStore(h.db.database).find(order.id);
    expect(stored).toMatchObject({ status: "ORDER_CANCELLED", version: cancelled.version, paymentId: null });
  });

  it("another customer still gets 404, whatever this process remembers", async () => {
    const h = await api();
    const order = await placed(h);
    const stranger = await token({ sub: randomUUID(), role: "customer" });
    const res = await h.call("POST", `/orders/${order.id}/payment`, { token: stranger });
    expect(res.status).toBe(404);
    const mine = await h.call("POST", `/orders/${order.id}/payment`, { token: h.tokens.customer });
    expect(mine.status).toBe(202);
  });
});
