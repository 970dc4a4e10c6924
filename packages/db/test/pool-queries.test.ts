import { randomUUID } from "node:crypto";
import type { AuditRecord, DomainEvent } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRepository } from "../src/audit-repository.ts";
import { captureRepository } from "../src/capture-repository.ts";
import { pingDatabase } from "../src/database-ping.ts";
import { orderRepository } from "../src/order-repository.ts";
import { OrderWrite } from "../src/order-write.ts";
import { pgOutbox } from "../src/outbox.ts";
import { paymentRepository } from "../src/payment-repository.ts";
import { inPgTransaction } from "../src/pg-transaction.ts";
import { productRepository } from "../src/product-repository.ts";
import { newOrder } from "./support/orders.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** The API's ceiling for an amount: far above 2^31, far below 2^53. */
const BIG = 1_000_000_000_000;

describe("money and dates through the pool", () => {
  it("round-trips BIGINT amounts as numbers and timestamps as Dates (order, items, product, payment, capture)", async () => {
    const order = newOrder({
      items: [{ productId: randomUUID(), productName: "Hanwoo set", unitPrice: BIG / 2, quantity: 2 }],
      totalAmount: BIG,
    });
    await new OrderWrite().insertOrder(order).run(db.database);
    const stored = await orderRepository.findById(db.database, order.id);
    expect(stored).toEqual(order);
    expect(stored?.createdAt).toBeInstanceOf(Date);

    const productId = randomUUID();
    const storeId = randomUUID();
    await productRepository.upsertCatalogEntry(db.database, { id: productId, storeId, name: "Hanwoo", price: BIG, now: new Date() });
    expect(await productRepository.findById(db.database, productId)).toEqual({ id: productId, storeId, name: "Hanwoo", price: BIG, onHand: 0 });
    await productRepository.upsertCatalogEntry(db.database, { id: productId, storeId: randomUUID(), name: "Hanwoo 1++", price: 7, now: new Date() });
    // An update changes name and price only; the store stays the one that created it.
    expect(await productRepository.findById(db.database, productId)).toEqual({ id: productId, storeId, name: "Hanwoo 1++", price: 7, onHand: 0 });
    expect(await productRepository.findMany(db.database, [productId, randomUUID()])).toHaveLength(1);

    const paymentId = randomUUID();
    const now = new Date();
    await new OrderWrite().insertPayment({ id: paymentId, orderId: order.id, amount: BIG, now }).run(db.database);
    expect(await paymentRepository.findById(db.database, paymentId)).toMatchObject({ amount: BIG, status: "REQUESTED", createdAt: now });

    const capture = { pgTransactionId: `pg-${randomUUID()}`, paymentId, orderId: order.id, amount: BIG, kept: true, webhookEventId: randomUUID(), capturedAt: now };
    await new OrderWrite().recordCapture(capture).run(db.database);
    await captureRepository.recordRefund(db.database, { pgTransactionId: capture.pgTransactionId, refundId: "rf-big", amount: BIG, now });
    expect(await captureRepository.listByOrder(db.database, order.id)).toEqual([
      { ...capture, refundId: "rf-big", refundedAmount: BIG, refundedAt: now },
    ]);
  });

  it("refuses a BIGINT past 2^53 instead of rounding it", async () => {
    const productId = randomUUID();
    await db.pool.query(
      `INSERT INTO p_product (id, store_id, name, price, on_hand, created_at, updated_at) VALUES ($1, $2, 'x', 9007199254740993, 0, now(), now())`,
      [productId, randomUUID()],
    );
    await expect(productRepository.findById(db.database, productId)).rejects.toThrow(RangeError);
  });
});

describe("order lists through the pool", () => {
  it("pages by status and store, ends without a cursor on an exact last page, and an unknown viewer sees nothing", async () => {
    const storeId = randomUUID();
    const at = new Date("2026-11-21T10:00:00.000Z");
    const orders = Array.from({ length: 6 }, (_, i) =>
      newOrder({ storeId, status: i % 2 === 0 ? "PAYMENT_PENDING" : "STOCK_RESERVED", createdAt: new Date(at.getTime() - i * 1000) }),
    );
    for (const o of orders) await new OrderWrite().insertOrder(o).run(db.database);
    await new OrderWrite().insertOrder(newOrder({ status: "PAYMENT_PENDING" })).run(db.database);
    const admin = { role: "admin" as const, userId: randomUUID(), storeId: null };
    const pending = orders.filter((o) => o.status === "PAYMENT_PENDING").map((o) => o.id);

    const first = await orderRepository.list(db.database, { viewer: admin, storeId, status: "PAYMENT_PENDING", limit: 2 });
    expect(first.items.map((o) => o.id)).toEqual(pending.slice(0, 2));
    expect(first.items[0]).toEqual(orders[0]);
    const last = await orderRepository.list(db.database, { viewer: admin, storeId, status: "PAYMENT_PENDING", limit: 2, cursor: first.nextCursor! });
    expect(last.items.map((o) => o.id)).toEqual(pending.slice(2));
    expect(last.nextCursor).toBeNull();

    const store = { role: "store" as const, userId: randomUUID(), storeId };
    const exact = await orderRepository.list(db.database, { viewer: store, limit: 6 });
    expect(exact.items.map((o) => o.id)).toEqual(orders.map((o) => o.id));
    expect(exact.nextCursor).toBeNull();

    const nobody = { role: "customer" as const, userId: null, storeId: null };
    expect((await orderRepository.list(db.database, { viewer: nobody, limit: 10 })).items).toEqual([]);
  });

  it("finds expired orders oldest deadline first, at most the limit", async () => {
    const now = new Date("2030-01-01T00:00:00.000Z");
    const late = [3, 1, 2].map((m) => newOrder({ status: "PAYMENT_FAILED", expiresAt: new Date(now.getTime() - m * 60_000) }));
    for (const o of late) await new OrderWrite().insertOrder(o).run(db.database);
    const found = await orderRepository.findExpiredOrders(db.database, now, 1_000);
    const mine = found.filter((o) => late.some((l) => l.id === o.id)).map((o) => o.expiresAt.getTime());
    expect(mine).toEqual([...mine].sort((a, b) => a - b));
    expect(mine).toHaveLength(3);
    expect(found.map((o) => o.expiresAt.getTime())).toEqual(found.map((o) => o.expiresAt.getTime()).sort((a, b) => a - b));
    expect(await orderRepository.findExpiredOrders(db.database, now, 2)).toHaveLength(2);
  });

  it("records a refund id on an order once and knows taken order numbers", async () => {
    const order = newOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    expect(await orderRepository.recordRefundId(db.database, order.id, "rf-1", new Date())).toBe(true);
    expect(await orderRepository.recordRefundId(db.database, order.id, "rf-2", new Date())).toBe(false);
    expect(await orderRepository.findById(db.database, order.id)).toMatchObject({ refundId: "rf-1", version: order.version + 1 });
    expect(await orderRepository.orderNumberTaken(db.database, order.orderNumber)).toBe(true);
    expect(await orderRepository.orderNumberTaken(db.database, `ORD-NONE-${randomUUID()}`)).toBe(false);
  });
});

describe("payments, audit and outbox through the pool", () => {
  it("changes a payment's status only from the given statuses and only for its own capture", async () => {
    const paymentId = randomUUID();
    const now = new Date();
    await new OrderWrite().insertPayment({ id: paymentId, orderId: randomUUID(), amount: 100, now }).run(db.database);
    expect(await paymentRepository.changeStatus(db.database, paymentId, ["REQUESTED"], "PAID", { pgTransactionId: "pg-a", now })).toBe(true);
    expect(await paymentRepository.changeStatus(db.database, paymentId, ["REQUESTED"], "FAILED", { now })).toBe(false);
    expect(await paymentRepository.changeStatus(db.database, paymentId, ["PAID"], "REFUNDED", { refundId: "rf", ofCapture: "pg-b", now })).toBe(false);
    expect(await paymentRepository.changeStatus(db.database, paymentId, ["PAID"], "REFUNDED", { refundId: "rf", ofCapture: "pg-a", now })).toBe(true);
    expect(await paymentRepository.findById(db.database, paymentId)).toMatchObject({ status: "REFUNDED", pgTransactionId: "pg-a", refundId: "rf" });
  });

  it("writes nothing of a transaction whose body fails, and everything of one that commits", async () => {
    const order = newOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    const entry = (eventId = randomUUID()): AuditRecord => ({
      eventId,
      orderId: order.id,
      eventType: "REFUND_COMPLETED",
      changeSummary: "refunded",
      actorUserId: null,
      recordedAt: new Date(),
      metadata: { step: eventId },
    });
    await expect(
      inPgTransaction(db.database, async (tx) => {
        await orderRepository.recordRefundId(tx, order.id, "rf-x", new Date());
        await auditRepository.append(tx, [entry()]);
        throw new Error("the PG call failed");
      }),
    ).rejects.toThrow("the PG call failed");
    expect((await orderRepository.findById(db.database, order.id))?.refundId).toBeNull();
    expect(await auditRepository.listByOrder(db.database, order.id)).toEqual([]);

    const [a, b] = [entry(), entry()];
    await inPgTransaction(db.database, async (tx) => {
      expect(await auditRepository.append(tx, [a, b, a])).toBe(2);
    });
    expect(await auditRepository.listByOrder(db.database, order.id)).toEqual(
      [a, b].map((e) => ({ eventType: e.eventType, changeSummary: e.changeSummary, actorUserId: null, recordedAt: e.recordedAt, metadata: e.metadata })),
    );
  });

  it("counts, requeues and purges outbox rows by their sent time", async () => {
    const order = newOrder();
    const event = { type: "OrderCreated", eventId: randomUUID(), orderId: order.id, occurredAt: new Date().toISOString() } as unknown as DomainEvent;
    await new OrderWrite().insertOrder(order).events([event]).run(db.database);
    const outbox = pgOutbox(db.database);
    const before = await outbox.pendingCount();
    expect(before).toBeGreaterThanOrEqual(1);
    await outbox.markSent([event.eventId]);
    expect(await outbox.pendingCount()).toBe(before - 1);
    const since = new Date(Date.now() - 60_000);
    expect(await outbox.requeueSentSince(since)).toBeGreaterThanOrEqual(1);
    expect(await outbox.pendingCount()).toBe(before);
    await outbox.markSent([event.eventId]);
    expect(await outbox.purgeSent(since)).toBe(0);
    expect(await outbox.purgeSent(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
    expect(await outbox.pendingCount()).toBe(before - 1);
  });

  it("answers a readiness ping", async () => {
    await expect(pingDatabase(db.database)).resolves.toBeUndefined();
  });
});
