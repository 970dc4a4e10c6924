import { randomUUID } from "node:crypto";
import type { AuditRecord, DomainEvent, OrderState } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRepository } from "../src/audit-repository.ts";
import { orderRepository } from "../src/order-repository.ts";
import { pgOrderStore } from "../src/order-store.ts";
import { OrderWrite, type WebhookEventRecord } from "../src/order-write.ts";
import { paymentRepository } from "../src/payment-repository.ts";
import { newOrder } from "./support/orders.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** The bare conditional write of a new state over `previous` (no audit, no events). */
const saveState = (previous: OrderState, order: OrderState) =>
  pgOrderStore(db.database).save({ previous, order, audit: [], events: [] });

/** Two lines, so that item rows are checked as a set. */
function twoLineOrder(): OrderState {
  return newOrder({
    items: [
      { productId: randomUUID(), productName: "Kimbap", unitPrice: 4500, quantity: 2 },
      { productId: randomUUID(), productName: "Ramyeon", unitPrice: 3000, quantity: 1 },
    ],
    totalAmount: 12000,
  });
}

function entry(orderId: string, changeSummary: string): AuditRecord {
  return { eventId: randomUUID(), orderId, eventType: "STATUS_CHANGED", changeSummary, actorUserId: null, recordedAt: new Date(), metadata: { changeSummary } };
}

function event(orderId: string): DomainEvent {
  return { type: "OrderConfirmed", eventId: randomUUID(), orderId, actor: { userId: null, role: "system" }, occurredAt: new Date().toISOString() } as unknown as DomainEvent;
}

async function count(table: string, orderId: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE order_id = $1`, [orderId]);
  return Number(rows[0]!.n);
}

function webhookRecord(orderId: string, eventId = randomUUID()): WebhookEventRecord {
  return { eventId, paymentId: randomUUID(), orderId, status: "PAID", amount: 1, outcome: "PAYMENT_COMPLETED", receivedAt: new Date(), payload: { eventId } };
}

describe("OrderWrite (one statement per change)", () => {
  it("writes a new order with its items, audit and outbox rows, and reads it back whole", async () => {
    const order = twoLineOrder();
    await new OrderWrite().insertOrder(order).audit([entry(order.id, "a")]).events([event(order.id)]).run(db.database);
    expect(await orderRepository.findById(db.database, order.id)).toEqual(order);
    expect(await count("p_order_audit", order.id)).toBe(1);
    expect(await count("p_outbox_event", order.id)).toBe(1);
  });

  it("writes nothing at all when one part fails (a taken order number)", async () => {
    const first = twoLineOrder();
    await new OrderWrite().insertOrder(first).run(db.database);
    const twin = { ...twoLineOrder(), orderNumber: first.orderNumber };
    await expect(
      new OrderWrite().insertOrder(twin).audit([entry(twin.id, "a")]).events([event(twin.id)]).run(db.database),
    ).rejects.toMatchObject({ code: "23505", constraint: "p_order_order_number_key" });
    expect(await orderRepository.findById(db.database, twin.id)).toBeNull();
    expect(await count("p_order_audit", twin.id)).toBe(0);
    expect(await count("p_outbox_event", twin.id)).toBe(0);
    expect(await count("p_order_item", twin.id)).toBe(0);
  });

  it("writes no audit, outbox or payment row for a transition that lost its race", async () => {
    const order = twoLineOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    const paymentId = randomUUID();
    const writes = ["PAYMENT_PENDING", "ORDER_CANCELLED"].map((status) =>
      new OrderWrite()
        .transition(order, { ...order, status: status as OrderState["status"], version: 1 })
        .audit([entry(order.id, status)])
        .events([event(order.id)])
        .insertPayment({ id: status === "PAYMENT_PENDING" ? paymentId : randomUUID(), orderId: order.id, amount: 1, now: new Date() })
        .run(db.database),
    );
    const results = await Promise.all(writes);
    expect(results.map((r) => r.passed).sort()).toEqual([false, true]);
    expect(await count("p_order_audit", order.id)).toBe(1);
    expect(await count("p_outbox_event", order.id)).toBe(1);
    expect(await count("p_payment", order.id)).toBe(1);
    const stored = await orderRepository.findById(db.database, order.id);
    const [trail] = await auditRepository.listByOrder(db.database, order.id);
    expect(trail?.changeSummary).toBe(stored?.status);
  });

  it("keeps the order of audit entries added after the transition's own", async () => {
    const order = twoLineOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    const write = new OrderWrite().transition(order, { ...order, status: "PAYMENT_PENDING", version: 1 });
    write.audit(["first", "second", "third"].map((s) => entry(order.id, s)));
    write.audit([entry(order.id, "fourth")]);
    await write.run(db.database);
    const trail = await auditRepository.listByOrder(db.database, order.id);
    expect(trail.map((t) => t.changeSummary)).toEqual(["first", "second", "third", "fourth"]);
  });

  it("changes a payment only from the statuses given, and only when the gate passed", async () => {
    const order = twoLineOrder();
    const paymentId = randomUUID();
    await new OrderWrite().insertOrder(order).run(db.database);
    const pending = { ...order, status: "PAYMENT_PENDING" as const, paymentId, version: 1 };
    await new OrderWrite().transition(order, pending).insertPayment({ id: paymentId, orderId: order.id, amount: 12000, now: new Date() }).run(db.database);
    // A stale transition (version 0 again) must not touch the payment.
    const stale = await new OrderWrite()
      .transition(order, { ...order, status: "ORDER_CANCELLED", version: 1 })
      .changePaymentStatus({ id: paymentId, from: ["REQUESTED"], to: "CANCELLED", now: new Date() })
      .run(db.database);
    expect(stale).toMatchObject({ passed: false, orderFound: true });
    expect((await paymentRepository.findById(db.database, paymentId))?.status).toBe("REQUESTED");
    await new OrderWrite()
      .transition(pending, { ...pending, status: "PAYMENT_COMPLETED", version: 2 })
      .changePaymentStatus({ id: paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: "pg-1", now: new Date() })
      .run(db.database);
    expect(await paymentRepository.findById(db.database, paymentId)).toMatchObject({ status: "PAID", pgTransactionId: "pg-1" });
  });

  it("applies a webhook's transition once: a replayed record leaves the order as it was", async () => {
    const order = twoLineOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    const record = webhookRecord(order.id);
    const first = await new OrderWrite()
      .transition(order, { ...order, status: "PAYMENT_PENDING", version: 1 }, { onlyWithWebhookRecord: record })
      .audit([entry(order.id, "applied")])
      .run(db.database);
    expect(first).toMatchObject({ passed: true, orderWasCurrent: true });
    // The same event again, judged against the order as it now is: the record is a replay.
    const current = (await orderRepository.findById(db.database, order.id))!;
    const replay = await new OrderWrite()
      .transition(current, { ...current, status: "ORDER_CANCELLED", version: 2 }, { onlyWithWebhookRecord: record })
      .audit([entry(order.id, "replayed")])
      .run(db.database);
    expect(replay).toMatchObject({ passed: false, orderWasCurrent: true });
    expect((await orderRepository.findById(db.database, order.id))?.status).toBe("PAYMENT_PENDING");
    expect((await auditRepository.listByOrder(db.database, order.id)).map((t) => t.changeSummary)).toEqual(["applied"]);
  });

  it("records no webhook event when the order moved before the webhook's write", async () => {
    const order = twoLineOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    await saveState(order, { ...order, status: "PAYMENT_TIMEOUT", version: 1 });
    const record = webhookRecord(order.id);
    const late = await new OrderWrite()
      .transition(order, { ...order, status: "PAYMENT_PENDING", version: 1 }, { onlyWithWebhookRecord: record })
      .run(db.database);
    expect(late).toMatchObject({ passed: false, orderWasCurrent: false });
    const { rows } = await db.pool.query(`SELECT 1 FROM p_payment_webhook_event WHERE event_id = $1`, [record.eventId]);
    expect(rows).toHaveLength(0);
  });
});
