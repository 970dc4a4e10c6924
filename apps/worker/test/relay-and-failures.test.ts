import { orderRepository, paymentRepository, pgOutbox, sandboxLedgerRepository } from "@order-flow/db";
import { Order } from "@order-flow/domain";
import { SandboxPaymentGateway, type PaymentGateway } from "@order-flow/payments";
import { ALL_QUEUE_NAMES, bullPrefix } from "@order-flow/queues";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redriveFailedJobs } from "../src/redrive-failed-jobs.ts";
import type { WorkerRuntime } from "../src/runtime.ts";
import {
  act,
  auditTypes,
  count,
  createHarness,
  ctx,
  customerOf,
  eventually,
  pay,
  placeOrder,
  statusOf,
  storeOf,
  type Harness,
} from "./support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.cleanup();
});

/** Server-side connections of this test's database whose last statement was a LISTEN (the relays'). */
async function listenConnections(harness: Harness): Promise<number> {
  const rows = await harness.db.prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`;
  return Number(rows[0]?.n ?? 0);
}

/** A sandbox PG whose refunds can be switched to fail (SANDBOX_REFUND_FAILURE_RATE=1). */
const failureRate = { value: 0 };
const gateway: PaymentGateway = {
  requestPayment: (input) => new SandboxPaymentGateway({ ledger: sandboxLedgerRepository(h.db.database) }).requestPayment(input),
  refund: (input) =>
    new SandboxPaymentGateway({ ledger: sandboxLedgerRepository(h.db.database), refundFailureRate: failureRate.value }).refund(input),
};

describe("outbox relay and dead letters", () => {
  let runtimes: WorkerRuntime[] = [];

  it("delivers events committed while no worker ran, including after a relay crash mid-publish", async () => {
    const orders = [];
    for (let i = 0; i < 10; i++) orders.push(await placeOrder(h, { quantity: 1, onHand: 5 }));
    for (const { order } of orders) await pay(h, order.id);
    expect(await pgOutbox(h.db.database).pendingCount()).toBeGreaterThan(0);

    // A relay that dies between reading the rows and finishing the enqueue leaves them unsent.
    await expect(
      pgOutbox(h.db.database).relayBatch(1_000, async () => {
        throw new Error("killed mid-publish");
      }),
    ).rejects.toThrow("killed");
    const pending = await pgOutbox(h.db.database).pendingCount();
    expect(pending).toBe(40); // created, reserved, payment requested, payment completed × 10

    // Two workers on the same database and prefix share the work; each order settles once.
    runtimes = [await h.start({ gateway }), await h.start({ gateway })];
    for (const { order } of orders) {
      await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    }
    for (const { order, storeId, productId } of orders) {
      const audit = await auditTypes(h, order.id);
      expect(count(audit, "STORE_NOTIFIED")).toBe(1);
      expect(count(audit, "ORDER_CONFIRMED")).toBe(1);
      expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 4, available: 4, reserved: 0 });
    }
    // The last transitions' rows are marked sent by their dispatcher's next batch (or the relay).
    expect(await eventually(() => pgOutbox(h.db.database).pendingCount(), (n) => n === 0)).toBe(0);
  });

  it("ends REFUND_FAILED after the last attempt, audits JOB_FAILED, keeps the dead letter, and redrives it", async () => {
    failureRate.value = 1;
    const [runtime] = runtimes;
    if (!runtime) throw new Error("runtime not started");
    const { order } = await placeOrder(h);
    const paymentId = await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    for (const step of [Order.markReadyForDelivery, Order.startDelivery, Order.markDelivered] as const) {
      await act(h.db.database, order.id, (o) => step(o, ctx(storeOf(o))));
    }
    await act(h.db.database, order.id, (o) => Order.requestRefund(o, ctx(customerOf(o))));

    const failed = await eventually(() => orderRepository.findById(h.db.database, order.id), (o) => o?.status === "REFUND_FAILED");
    expect(failed?.failureReason).toMatch(/after 3 attempt/);
    await eventually(() => auditTypes(h, order.id), (types) => types.includes("JOB_FAILED"));
    const audit = await auditTypes(h, order.id);
    expect(count(audit, "REFUND_FAILED")).toBe(1);
    expect(count(audit, "JOB_FAILED")).toBe(1);
    expect((await paymentRepository.findById(h.db.database, paymentId))?.status).toBe("PAID");
    expect(await runtime.queues["order-refunded"].getFailedCount()).toBe(1);

    // The redriven dead job does its work again: the admin's REFUND_FAILED → REFUND_REQUESTED
    // move on the operator's behalf, audited, and this time the PG refunds.
    failureRate.value = 0;
    expect(await redriveFailedJobs(runtime.queues, "order-refunded")).toEqual({ "order-refunded": 1 });
    await eventually(() => statusOf(h, order.id), (s) => s === "REFUND_COMPLETED");
    expect(await runtime.queues["order-refunded"].getFailedCount()).toBe(0);
    expect(count(await auditTypes(h, order.id), "ORDER_REFUNDED")).toBe(2);
    expect((await paymentRepository.findById(h.db.database, paymentId))?.status).toBe("REFUNDED");
  });

  it("closes gracefully: no jobs lost, connections released", async () => {
    const listeners = () => listenConnections(h);
    // The relay is polled: no process holds a LISTEN connection.
    expect(await listeners()).toBe(0);
    for (const runtime of runtimes) await runtime.close();
    // Nothing was left half-done: every event relayed, no job stranded in an active list.
    expect(await pgOutbox(h.db.database).pendingCount()).toBe(0);
    for (const queue of ALL_QUEUE_NAMES) expect(await h.redis.llen(`${bullPrefix(h.prefix)}:${queue}:active`), queue).toBe(0);
    // A second close is harmless.
    for (const runtime of runtimes) await expect(runtime.close()).resolves.toBeUndefined();
  });
});
