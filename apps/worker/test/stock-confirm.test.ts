import { orderRepository, pgOrderStore, pgReservationLedger } from "@order-flow/db";
import { Order } from "@order-flow/domain";
import type { JobPayload } from "@order-flow/queues";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerRuntime } from "../src/runtime.ts";
import { runHandler as runJob } from "./support/run-handler.ts";
import { act, createHarness, ctx, customerOf, outboxEvents, pay, placeOrder, statusOf, type Harness } from "./support/harness.ts";

let h: Harness;
let runtime: WorkerRuntime;

beforeAll(async () => {
  h = await createHarness();
  // No relay pass reaches this file's events (they are a day too young): each handler runs
  // only when a test runs it, so a test can stop between the Redis confirm and the statement.
  runtime = await h.start({ relayGraceMs: 86_400_000, relayPollIntervalMs: 3_600_000 });
});
afterAll(async () => {
  await h?.cleanup();
});

/** Runs a handler as a job would, on the test's own pool: what it commits stays in the outbox. */
function runHandler(payload: JobPayload): Promise<void> {
  return runJob({ ...runtime.deps, db: h.db.database, orders: pgOrderStore(h.db.database) }, payload);
}

async function paymentCompletedOf(orderId: string): Promise<JobPayload> {
  const event = (await outboxEvents(h, orderId)).find((e) => e.type === "PaymentCompleted");
  if (!event) throw new Error("no PaymentCompleted event");
  return event as JobPayload;
}

async function onHandInPg(productId: string): Promise<number> {
  const { rows } = await h.db.pool.query<{ on_hand: number }>(`SELECT on_hand FROM p_product WHERE id = $1`, [productId]);
  return rows[0]!.on_hand;
}

const ledger = () => pgReservationLedger(h.db.database);

describe("PaymentCompleted: the stock confirm rides in the ORDER_CONFIRMED statement", () => {
  it("commits the sale and ORDER_CONFIRMED (audit, outbox) as one transaction", async () => {
    const { order, storeId, productId } = await placeOrder(h, { quantity: 2, onHand: 10 });
    await pay(h, order.id);
    await runHandler(await paymentCompletedOf(order.id));

    expect(await statusOf(h, order.id)).toBe("ORDER_CONFIRMED");
    expect((await ledger().find(order.reservationId!))?.status).toBe("CONFIRMED");
    expect(await onHandInPg(productId)).toBe(8);
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 8, available: 8, reserved: 0 });
    // Every row the handler wrote carries the id of one and the same transaction.
    const { rows } = await h.db.pool.query<{ what: string; xid: string }>(
      `SELECT 'order' AS what, xmin::text AS xid FROM p_order WHERE id = $1
       UNION ALL SELECT 'log', xmin::text FROM p_stock_reservation_log WHERE reservation_id = $2
       UNION ALL SELECT 'on_hand', xmin::text FROM p_product WHERE id = $3
       UNION ALL SELECT 'audit', xmin::text FROM p_order_audit WHERE order_id = $1 AND event_type = 'ORDER_CONFIRMED'
       UNION ALL SELECT 'outbox', xmin::text FROM p_outbox_event WHERE order_id = $1 AND event_type = 'OrderConfirmed'`,
      [order.id, order.reservationId, productId],
    );
    expect(rows.map((r) => r.what).sort()).toEqual(["audit", "log", "on_hand", "order", "outbox"]);
    expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
  });

  it("after a crash between the Redis confirm and the statement: the sweep leaves the hold, the retry sells it once", async () => {
    const { order, storeId, productId } = await placeOrder(h, { quantity: 3, onHand: 10 });
    await pay(h, order.id);
    // The first attempt got as far as the Redis confirm, then the process died.
    expect(await h.stock.confirmHold(order.reservationId!)).toBe("CONFIRMED");
    expect((await ledger().find(order.reservationId!))?.status).toBe("RESERVED");
    expect(await onHandInPg(productId)).toBe(10);

    // A sweep long past the deadline: the order is paid, so nothing is released.
    const late = new Date(order.expiresAt.getTime() + 3_600_000);
    expect((await runtime.deps.stock.sweepExpired(late, 100)).released).toEqual([]);
    expect((await ledger().find(order.reservationId!))?.status).toBe("RESERVED");
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 7, available: 7, reserved: 0 });

    // The retry: Redis answers ALREADY_CONFIRMED and the statement runs; a second retry changes nothing.
    const event = await paymentCompletedOf(order.id);
    await runHandler(event);
    await runHandler(event);
    expect(await statusOf(h, order.id)).toBe("ORDER_CONFIRMED");
    expect((await ledger().find(order.reservationId!))?.status).toBe("CONFIRMED");
    expect(await onHandInPg(productId)).toBe(7);
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 7, available: 7, reserved: 0 });
  });

  it("a cancel that wins after the Redis confirm gives the units back once, and the confirm then writes nothing", async () => {
    const { order, storeId, productId } = await placeOrder(h, { quantity: 2, onHand: 10 });
    await pay(h, order.id);
    expect(await h.stock.confirmHold(order.reservationId!)).toBe("CONFIRMED");
    // The customer cancels the paid order; OrderCancelled gives the (Redis-sold) stock back.
    await act(h.db.database, order.id, (o) => Order.cancel(o, ctx(customerOf(o)), { reason: "changed my mind" }));
    expect(await runtime.deps.stock.release(order.reservationId!, "CANCELLED")).toBe("RELEASED");

    await runHandler(await paymentCompletedOf(order.id));
    expect(await statusOf(h, order.id)).toBe("ORDER_CANCELLED");
    expect((await ledger().find(order.reservationId!))?.status).toBe("RELEASED");
    expect(await onHandInPg(productId)).toBe(10);
    expect(await h.stock.getStock(storeId, productId)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    expect((await orderRepository.findById(h.db.database, order.id))?.confirmedAt).toBeNull();
  });
});
