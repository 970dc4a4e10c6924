import { randomUUID } from "node:crypto";
import { Order, SYSTEM_ACTOR, changeOrder, type Actor, type AlongsideWrite, type OrderState, type OrderStore } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRepository } from "../src/audit-repository.ts";
import { pgOrderStore } from "../src/order-store.ts";
import { OrderWrite } from "../src/order-write.ts";
import { paymentRepository } from "../src/payment-repository.ts";
import { newOrder } from "./support/orders.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
let store: OrderStore;
beforeAll(async () => {
  db = await createTestDatabase();
  store = pgOrderStore(db.database);
});
afterAll(async () => {
  await db.drop();
});

const ctx = (actor: Actor = SYSTEM_ACTOR) => ({ actor, now: new Date(), newId: randomUUID });
const customerOf = (order: OrderState): Actor => ({ role: "customer", userId: order.userId, storeId: null });

async function stored(): Promise<OrderState> {
  const order = newOrder();
  await new OrderWrite().insertOrder(order).run(db.database);
  return order;
}

describe("changeOrder on the PostgreSQL order store", () => {
  it("decides on a copy it was given, loses the race to a writer that came first, reads again and decides again", async () => {
    const order = await stored();
    // Someone else asks for payment first: the copy below is one version behind.
    const first = randomUUID();
    expect(await store.save(Order.requestPayment(order, ctx(customerOf(order)), { paymentId: first }))).toBe("APPLIED");

    const seen: OrderState[] = [];
    const outcome = await changeOrder(store, {
      orderId: order.id,
      known: order,
      decide: (o) => {
        seen.push(o);
        return Order.decide(o, "cancel", ctx(customerOf(o)), { reason: "changed my mind" });
      },
    });
    expect(outcome.kind).toBe("APPLIED");
    expect(seen.map((o) => [o.status, o.version])).toEqual([
      ["STOCK_RESERVED", 0],
      ["PAYMENT_PENDING", 1],
    ]);
    const now = await store.find(order.id);
    expect(now).toMatchObject({ status: "ORDER_CANCELLED", version: 2, paymentId: first });
    expect((await auditRepository.listByOrder(db.database, order.id)).map((e) => e.eventType)).toEqual([
      "PAYMENT_REQUESTED",
      "ORDER_CANCELLED",
    ]);
  });

  it("reads again before refusing on a copy it was given, and refuses on what it read", async () => {
    const order = await stored();
    expect(await store.save(Order.cancel(order, ctx(customerOf(order))))).toBe("APPLIED");
    const cancelled = (await store.find(order.id))!;
    const reads: number[] = [];
    const outcome = await changeOrder(store, {
      orderId: order.id,
      // A stale copy that says STOCK_RESERVED: the refusal must come from the stored order.
      known: { ...cancelled, status: "STOCK_RESERVED", version: 0 },
      read: async () => {
        reads.push(1);
        return store.find(order.id);
      },
      decide: (o) => Order.decide(o, "requestPayment", ctx(customerOf(o)), { paymentId: randomUUID() }),
    });
    expect(reads).toHaveLength(1);
    expect(outcome.kind).toBe("REFUSED");
    if (outcome.kind !== "REFUSED") return;
    expect(outcome.order.status).toBe("ORDER_CANCELLED");
    expect(outcome.why.code).toBe("INVALID_STATE_TRANSITION");
  });

  it("says NOT_FOUND for an order that does not exist", async () => {
    const outcome = await changeOrder(store, {
      orderId: randomUUID(),
      decide: () => {
        throw new Error("nothing to decide on");
      },
    });
    expect(outcome).toEqual({ kind: "NOT_FOUND" });
  });

  it("gives up after the tries it was given when every write loses, and writes nothing of its own", async () => {
    const order = await stored();
    let tries = 0;
    const outcome = await changeOrder(store, {
      orderId: order.id,
      maxTries: 3,
      decide: (o) => {
        tries++;
        return Order.decide(o, "requestPayment", ctx(customerOf(o)), { paymentId: randomUUID() });
      },
      // Each read hands over the order one version before the stored one: another writer always got there first.
      read: async () => {
        const now = (await store.find(order.id))!;
        const moved = Order.requestPayment(now, ctx(customerOf(now)), { paymentId: randomUUID() });
        expect(await store.save(moved)).toBe("APPLIED");
        const failed = Order.failPayment(moved.order, ctx(), { paymentId: moved.order.paymentId!, reason: "declined" });
        expect(await store.save(failed)).toBe("APPLIED");
        return now;
      },
    });
    expect(outcome.kind).toBe("CONTENDED");
    expect(tries).toBe(3);
    const now = (await store.find(order.id))!;
    expect(now).toMatchObject({ status: "PAYMENT_FAILED", version: 6 });
  });

  it("the webhook's gate: a replayed record is REPLAYED and changes nothing; its alongside writes ride only with it", async () => {
    const order = await stored();
    const paymentId = randomUUID();
    const requested = Order.requestPayment(order, ctx(customerOf(order)), { paymentId });
    expect(
      await store.save(requested, { alongside: [{ kind: "openPayment", paymentId, orderId: order.id, amount: order.totalAmount, at: new Date() }] }),
    ).toBe("APPLIED");
    const record = {
      eventId: `evt-${randomUUID()}`,
      paymentId,
      orderId: order.id,
      status: "PAID",
      amount: order.totalAmount,
      outcome: "PAYMENT_COMPLETED",
      receivedAt: new Date(),
      payload: {},
    };
    const paid = Order.completePayment(requested.order, ctx(), { paymentId, amount: order.totalAmount, pgTransactionId: "pg-1" });
    const alongside: AlongsideWrite[] = [{ kind: "paymentStatus", paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: "pg-1", at: new Date() }];
    // Recorded once without a transition (e.g. an ignored event), the same event id cannot move the order later.
    expect(await store.recordOnce(record)).toBe(true);
    expect(await store.recordOnce(record)).toBe(false);
    expect(await store.save(paid, { onlyOnce: record, alongside })).toBe("REPLAYED");
    expect((await store.find(order.id))?.status).toBe("PAYMENT_PENDING");
    expect((await paymentRepository.findById(db.database, paymentId))?.status).toBe("REQUESTED");

    const fresh = { ...record, eventId: `evt-${randomUUID()}` };
    expect(await store.save(paid, { onlyOnce: fresh, alongside })).toBe("APPLIED");
    expect((await paymentRepository.findById(db.database, paymentId))?.status).toBe("PAID");
    // The order has moved: the same transition again is a lost race, not a replay.
    expect(await store.save(paid, { onlyOnce: { ...record, eventId: `evt-${randomUUID()}` } })).toBe("LOST_RACE");
  });
});
