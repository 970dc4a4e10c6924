import { randomUUID } from "node:crypto";
import { OrderWrite, orderRepository, paymentRepository } from "@order-flow/db";
import { Order, makeOrderTimeoutEvent, type DomainEvent } from "@order-flow/domain";
import { orderTimeoutJobId, type JobPayload, type StrayPaymentRefund } from "@order-flow/queues";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderTimeoutEventId } from "../src/deterministic-id.ts";
import { runHandler as runJob } from "./support/run-handler.ts";
import type { WorkerRuntime } from "../src/runtime.ts";
import { sweepOrderTimeouts } from "../src/schedulers.ts";
import {
  act,
  auditTypes,
  count,
  createHarness,
  ctx,
  customerOf,
  eventually,
  outboxEvents,
  pay,
  placeOrder,
  statusOf,
  storeOf,
  type Harness,
} from "./support/harness.ts";

let h: Harness;
let runtime: WorkerRuntime;

beforeAll(async () => {
  h = await createHarness();
  runtime = await h.start({ orderTimeoutSweepIntervalMs: 1_000, reservationSweepIntervalMs: 1_000, reservationSweepGraceMs: 0 });
});
afterAll(async () => {
  await h?.cleanup();
});

/** Runs a handler directly, as a redelivered job would (first attempt of many). */
function runHandler(payload: JobPayload): Promise<void> {
  return runJob(runtime.deps, payload);
}

/** Everything a redelivery could change: the order, its audit trail, its payment, the stock. */
async function snapshot(orderId: string, storeId: string, productId: string) {
  const order = await orderRepository.findById(h.db.database, orderId);
  const payment = order?.paymentId ? await paymentRepository.findById(h.db.database, order.paymentId) : null;
  return {
    status: order?.status,
    version: order?.version,
    refundId: order?.refundId,
    audit: await auditTypes(h, orderId),
    payment: payment && { status: payment.status, refundId: payment.refundId },
    stock: await h.stock.getStock(storeId, productId),
  };
}

/** Replays every event of the order twice through its handler: nothing may change. */
async function expectReplaysChangeNothing(orderId: string, storeId: string, productId: string, extra: JobPayload[] = []) {
  const before = await snapshot(orderId, storeId, productId);
  const events: JobPayload[] = [...(await outboxEvents(h, orderId)), ...extra];
  for (let round = 0; round < 2; round++) {
    for (const event of events) await runHandler(event);
  }
  expect(await snapshot(orderId, storeId, productId)).toEqual(before);
}

describe("worker flows (relay + handlers, real Redis and PostgreSQL)", () => {
  it("a paid order reaches PREPARING with its stock sold and the store notified once", async () => {
    const { order, storeId, productId } = await placeOrder(h, { quantity: 2, onHand: 10 });
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 10, available: 8, reserved: 2 });
    // The OrderCreated handler scheduled the timeout at the deadline.
    await eventually(() => runtime.queues["order-timeout"].getJob(orderTimeoutJobId(order.id)), (job) => job !== undefined);

    await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");

    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 8, available: 8, reserved: 0 });
    const audit = await auditTypes(h, order.id);
    expect(count(audit, "ORDER_CONFIRMED")).toBe(1);
    expect(count(audit, "STORE_NOTIFIED")).toBe(1);
    expect(count(audit, "ORDER_TIMEOUT")).toBe(0);
    // The pending timeout job was removed on payment.
    await eventually(() => runtime.queues["order-timeout"].getJob(orderTimeoutJobId(order.id)), (job) => job === undefined);

    // A timeout event arriving anyway (or twice) is a no-op, as is every event replayed.
    const lateTimeout = makeOrderTimeoutEvent({
      eventId: orderTimeoutEventId(order.id, order.expiresAt),
      orderId: order.id,
      expiresAt: order.expiresAt,
      now: new Date(order.expiresAt.getTime() + 1),
    });
    await expectReplaysChangeNothing(order.id, storeId, productId, [lateTimeout]);
  });

  it("an unpaid order times out at its deadline: stock back, exactly one ORDER_TIMEOUT entry", async () => {
    const { order, storeId, productId } = await placeOrder(h, { holdSeconds: 1, quantity: 3, onHand: 5 });
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 5, available: 2, reserved: 3 });

    await eventually(() => statusOf(h, order.id), (s) => s === "PAYMENT_TIMEOUT");
    await eventually(() => h.stock.getStock(storeId, productId), (s) => s?.reserved === 0);
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 5, available: 5, reserved: 0 });

    // The sweep (the safety net) and a replayed timeout event find nothing more to do.
    await sweepOrderTimeouts(runtime.deps, 100);
    const timeout = makeOrderTimeoutEvent({
      eventId: orderTimeoutEventId(order.id, order.expiresAt),
      orderId: order.id,
      expiresAt: order.expiresAt,
      now: new Date(),
    });
    await expectReplaysChangeNothing(order.id, storeId, productId, [timeout]);
    const audit = await auditTypes(h, order.id);
    expect(count(audit, "ORDER_TIMEOUT")).toBe(1);
    const stored = await orderRepository.findById(h.db.database, order.id);
    expect(stored?.failureReason).toBeTruthy();
  });

  it("the sweep times out an order whose delayed job was lost, with the same single entry", async () => {
    const { order, storeId, productId } = await placeOrder(h, { holdSeconds: 600, quantity: 1, onHand: 3 });
    // Pretend the deadline passed and the delayed job vanished with Redis.
    await eventually(() => runtime.queues["order-timeout"].getJob(orderTimeoutJobId(order.id)), (job) => job !== undefined);
    await runtime.queues["order-timeout"].remove(orderTimeoutJobId(order.id));
    const past = new Date(Date.now() - 1_000);
    await h.db.prisma.order.update({ where: { id: order.id }, data: { expiresAt: past } });

    await eventually(() => statusOf(h, order.id), (s) => s === "PAYMENT_TIMEOUT");
    await eventually(() => h.stock.getStock(storeId, productId), (s) => s?.available === 3 && s.reserved === 0);
    expect(count(await auditTypes(h, order.id), "ORDER_TIMEOUT")).toBe(1);
  });

  it("a timeout job that fires before the deadline waits for it, then times the order out once", async () => {
    const { order, storeId, productId } = await placeOrder(h, { holdSeconds: 2, quantity: 1, onHand: 1 });
    const early = makeOrderTimeoutEvent({
      eventId: orderTimeoutEventId(order.id, order.expiresAt),
      orderId: order.id,
      expiresAt: order.expiresAt,
      now: new Date(),
    });
    const job = await runtime.queues["order-timeout"].add("OrderTimeout", early, { jobId: `early-${order.id}` });
    const timedOut = await eventually(() => orderRepository.findById(h.db.database, order.id), (o) => o?.status === "PAYMENT_TIMEOUT");
    expect(timedOut!.updatedAt.getTime()).toBeGreaterThanOrEqual(order.expiresAt.getTime());
    await eventually(() => job.getState(), (state) => state === "completed");
    await eventually(() => h.stock.getStock(storeId, productId), (s) => s?.available === 1);
    expect(count(await auditTypes(h, order.id), "ORDER_TIMEOUT")).toBe(1);
  });

  it("a timeout for an order paid meanwhile changes nothing and writes no entry", async () => {
    const { order, storeId, productId } = await placeOrder(h, { holdSeconds: 600 });
    await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    const before = await snapshot(order.id, storeId, productId);
    await runHandler(
      makeOrderTimeoutEvent({ eventId: randomUUID(), orderId: order.id, expiresAt: new Date(0), now: new Date() }),
    );
    expect(await snapshot(order.id, storeId, productId)).toEqual(before);
  });

  it("a refund request after delivery reaches REFUND_COMPLETED with a refund id", async () => {
    const { order, storeId, productId } = await placeOrder(h);
    const paymentId = await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    for (const step of [Order.markReadyForDelivery, Order.startDelivery, Order.markDelivered] as const) {
      await act(h.db.database, order.id, (o) => step(o, ctx(storeOf(o))));
    }
    await act(h.db.database, order.id, (o) => Order.requestRefund(o, ctx(customerOf(o)), { reason: "cold" }));

    const done = await eventually(() => orderRepository.findById(h.db.database, order.id), (o) => o?.status === "REFUND_COMPLETED");
    expect(done?.refundId).toMatch(/^rf_/);
    const payment = await paymentRepository.findById(h.db.database, paymentId);
    expect(payment).toMatchObject({ status: "REFUNDED", refundId: done?.refundId });
    expect(count(await auditTypes(h, order.id), "REFUND_COMPLETED")).toBe(1);
    await expectReplaysChangeNothing(order.id, storeId, productId);
  });

  it("a store rejection gives the sold stock back and refunds the payment once", async () => {
    const { order, storeId, productId } = await placeOrder(h, { quantity: 4, onHand: 10 });
    const paymentId = await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 6, available: 6, reserved: 0 });
    await act(h.db.database, order.id, (o) => Order.reject(o, ctx(storeOf(o)), { reason: "out of rice" }));

    const payment = await eventually(() => paymentRepository.findById(h.db.database, paymentId), (p) => p?.status === "REFUNDED");
    const stored = await eventually(() => orderRepository.findById(h.db.database, order.id), (o) => o?.refundId !== null);
    expect(stored).toMatchObject({ status: "STORE_REJECTED", refundId: payment?.refundId });
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    expect(count(await auditTypes(h, order.id), "PAYMENT_REFUNDED")).toBe(1);
    await expectReplaysChangeNothing(order.id, storeId, productId);
  });

  it("a cancel before payment keeps the stock given back and refunds nothing", async () => {
    const { order, storeId, productId } = await placeOrder(h, { quantity: 2, onHand: 4 });
    // The API releases synchronously before answering; the handler's release is then a no-op.
    await h.stock.release(order.reservationId!, "CANCELLED");
    await act(h.db.database, order.id, (o) => Order.cancel(o, ctx(customerOf(o)), { reason: "changed my mind" }));
    await eventually(async () => (await h.db.prisma.outboxEvent.count({ where: { orderId: order.id, sentAt: null } })), (n) => n === 0);
    await eventually(() => runtime.queues["order-cancelled"].getCompletedCount(), (n) => n >= 1);
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 4, available: 4, reserved: 0 });
    expect(count(await auditTypes(h, order.id), "PAYMENT_REFUNDED")).toBe(0);
    await expectReplaysChangeNothing(order.id, storeId, productId);
  });

  it("refunds a payment that arrived after the timeout (StrayPaymentRefund from the outbox), once", async () => {
    const { order, storeId, productId } = await placeOrder(h, { holdSeconds: 1, quantity: 1, onHand: 2 });
    const paymentId = randomUUID();
    await act(
      h.db.database,
      order.id,
      (o) => Order.requestPayment(o, ctx(customerOf(o)), { paymentId }),
      [{ kind: "openPayment", paymentId, orderId: order.id, amount: order.totalAmount, at: new Date() }],
    );
    await eventually(() => statusOf(h, order.id), (s) => s === "PAYMENT_TIMEOUT");

    // What the webhook writes for a PAID that arrives too late.
    const stray: StrayPaymentRefund = {
      type: "StrayPaymentRefund",
      eventId: randomUUID(),
      orderId: order.id,
      actor: { userId: null, role: "system" },
      occurredAt: new Date().toISOString(),
      paymentId,
      amount: order.totalAmount,
      reason: "NOT_PENDING",
      pgTransactionId: "pg-late-1",
    };
    await new OrderWrite()
      .changePaymentStatus({ id: paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: "pg-late-1", now: new Date() })
      .events([stray as unknown as DomainEvent])
      .run(h.db.database);

    const payment = await eventually(() => paymentRepository.findById(h.db.database, paymentId), (p) => p?.status === "REFUNDED");
    expect(payment?.refundId).toMatch(/^rf_/);
    expect(await statusOf(h, order.id)).toBe("PAYMENT_TIMEOUT");
    expect(count(await auditTypes(h, order.id), "LATE_PAYMENT_REFUNDED")).toBe(1);
    await expectReplaysChangeNothing(order.id, storeId, productId);
  });
});
