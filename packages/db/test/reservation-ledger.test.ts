import { randomUUID } from "node:crypto";
import type { NewReservationLogRow, OrderState } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderWrite } from "../src/order-write.ts";
import { pgReservationLedger } from "../src/reservation-ledger.ts";
import { newOrder } from "./support/orders.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function seedProducts(storeId: string, onHands: number[]): Promise<string[]> {
  const ids = onHands.map(() => randomUUID()).sort();
  for (const [i, id] of ids.entries()) {
    await db.pool.query(
      `INSERT INTO p_product (id, store_id, name, price, on_hand, created_at, updated_at) VALUES ($1, $2, $3, 1000, $4, now(), now())`,
      [id, storeId, `product ${i}`, onHands[i]],
    );
  }
  return ids;
}

async function onHand(productIds: string[]): Promise<number[]> {
  const { rows } = await db.pool.query<{ id: string; on_hand: number }>(
    `SELECT id::text AS id, on_hand FROM p_product WHERE id = ANY($1::uuid[])`,
    [productIds],
  );
  const byId = new Map(rows.map((r) => [r.id, r.on_hand]));
  return productIds.map((id) => byId.get(id)!);
}

/** An order with its hold's log row, written as the API writes a new order. */
async function orderWithHold(status: OrderState["status"], products: { productId: string; quantity: number }[]) {
  const order = newOrder({ status, reservationId: `${randomUUID()}.${randomUUID()}` });
  const row: NewReservationLogRow = {
    id: randomUUID(),
    reservationId: order.reservationId!,
    orderId: order.id,
    storeId: order.storeId,
    products,
    expiresAt: new Date(Date.now() + 600_000),
    createdAt: new Date(),
  };
  await new OrderWrite().insertOrder(order).insertReservationLog(row).run(db.database);
  return { order, reservationId: row.reservationId };
}

const ledger = () => pgReservationLedger(db.database);

describe("OrderWrite.confirmReservation (the sale's durable half in the order's statement)", () => {
  it("sells with the transition that wins: log CONFIRMED, on_hand down by each line, all in one transaction", async () => {
    const [a, b] = await seedProducts(randomUUID(), [10, 5]);
    const { order, reservationId } = await orderWithHold("PAYMENT_COMPLETED", [
      { productId: a!, quantity: 2 },
      { productId: b!, quantity: 3 },
    ]);
    const next: OrderState = { ...order, status: "ORDER_CONFIRMED", version: order.version + 1, confirmedAt: new Date() };
    const result = await new OrderWrite().transition(order, next).confirmReservation(reservationId).run(db.database);
    expect(result.passed).toBe(true);
    expect(await onHand([a!, b!])).toEqual([8, 2]);
    expect((await ledger().find(reservationId))?.status).toBe("CONFIRMED");
    // One transaction wrote the order, the log row and both products.
    const { rows } = await db.pool.query<{ xid: string }>(
      `SELECT xmin::text AS xid FROM p_order WHERE id = $1
       UNION SELECT xmin::text FROM p_stock_reservation_log WHERE reservation_id = $2
       UNION SELECT xmin::text FROM p_product WHERE id = ANY($3::uuid[])`,
      [order.id, reservationId, [a, b]],
    );
    expect(rows).toHaveLength(1);

    // Again (a replayed statement, or a sale the sweep already recorded): nothing moves.
    await new OrderWrite().confirmReservation(reservationId).run(db.database);
    expect(await ledger().confirm(reservationId)).toBe(false);
    expect(await onHand([a!, b!])).toEqual([8, 2]);
  });

  it("writes nothing when the transition loses (the order moved on, e.g. cancelled)", async () => {
    const [a] = await seedProducts(randomUUID(), [10]);
    const { order, reservationId } = await orderWithHold("PAYMENT_COMPLETED", [{ productId: a!, quantity: 4 }]);
    const stale = { ...order, version: order.version + 7 };
    const result = await new OrderWrite()
      .transition(stale, { ...stale, status: "ORDER_CONFIRMED", version: stale.version + 1 })
      .confirmReservation(reservationId)
      .run(db.database);
    expect(result.passed).toBe(false);
    expect(await onHand([a!])).toEqual([10]);
    expect((await ledger().find(reservationId))?.status).toBe("RESERVED");
  });

  it("changes nothing for a reservation a cancel already released", async () => {
    const [a] = await seedProducts(randomUUID(), [10]);
    const { reservationId } = await orderWithHold("PAYMENT_COMPLETED", [{ productId: a!, quantity: 4 }]);
    await ledger().releaseSale(reservationId); // the sale given back before its durable half ran
    await new OrderWrite().confirmReservation(reservationId).run(db.database);
    expect(await onHand([a!])).toEqual([10]);
    expect((await ledger().find(reservationId))?.status).toBe("RELEASED");
  });

  it("concurrent sales of overlapping products in opposite line order all land (no deadlock, no lost update)", async () => {
    const [a, b] = await seedProducts(randomUUID(), [100, 100]);
    const holds = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        orderWithHold(
          "PAYMENT_COMPLETED",
          i % 2 === 0
            ? [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 2 }]
            : [{ productId: b!, quantity: 2 }, { productId: a!, quantity: 1 }],
        ),
      ),
    );
    await Promise.all(holds.map(({ reservationId }) => new OrderWrite().confirmReservation(reservationId).run(db.database)));
    expect(await onHand([a!, b!])).toEqual([80, 60]);
  });
});

describe("pgReservationLedger", () => {
  it("gives a sale back once: CONFIRMED -> RELEASED raises on_hand, a repeat changes nothing", async () => {
    const [a] = await seedProducts(randomUUID(), [10]);
    const { reservationId } = await orderWithHold("PAYMENT_COMPLETED", [{ productId: a!, quantity: 3 }]);
    expect(await ledger().confirm(reservationId)).toBe(true);
    expect(await onHand([a!])).toEqual([7]);
    await ledger().releaseSale(reservationId);
    await ledger().releaseSale(reservationId);
    expect(await onHand([a!])).toEqual([10]);
    expect((await ledger().find(reservationId))?.status).toBe("RELEASED");
  });

  it("closes a hold only from the status it expects, and reads statuses, due and recent holds", async () => {
    const [a] = await seedProducts(randomUUID(), [10]);
    const { reservationId, order } = await orderWithHold("STOCK_RESERVED", [{ productId: a!, quantity: 1 }]);
    expect(await ledger().statuses([reservationId, "unknown"])).toEqual(new Map([[reservationId, "RESERVED"]]));
    expect((await ledger().recentHolds(new Date(Date.now() - 60_000))).map((e) => e.reservationId)).toContain(reservationId);
    const due = await ledger().dueHolds(new Date(Date.now() + 3_600_000), 1000);
    expect(due.find((e) => e.reservationId === reservationId)).toMatchObject({ orderId: order.id, storeId: order.storeId });
    expect(await ledger().close(reservationId, "RESERVED", "EXPIRED")).toBe(true);
    expect(await ledger().close(reservationId, "RESERVED", "RELEASED")).toBe(false);
    expect((await ledger().find(reservationId))?.status).toBe("EXPIRED");
    expect(await onHand([a!])).toEqual([10]);
  });

  it("names paid orders (PAYMENT_COMPLETED and later) only", async () => {
    const paid = await orderWithHold("PAYMENT_COMPLETED", [{ productId: randomUUID(), quantity: 1 }]);
    const unpaid = await orderWithHold("PAYMENT_PENDING", [{ productId: randomUUID(), quantity: 1 }]);
    const cancelled = await orderWithHold("ORDER_CANCELLED", [{ productId: randomUUID(), quantity: 1 }]);
    const ids = [paid.order.id, unpaid.order.id, cancelled.order.id, randomUUID()];
    expect(await ledger().paidOrders(ids)).toEqual(new Set([paid.order.id]));
  });

  it("sets on_hand under the row lock only when told to, and knows an unknown product", async () => {
    const storeId = randomUUID();
    const [a] = await seedProducts(storeId, [10]);
    expect(await ledger().setOnHand(storeId, a!, 4, async (change) => ({ write: false, result: change }))).toEqual({ found: true, result: -6 });
    expect(await onHand([a!])).toEqual([10]);
    expect(await ledger().setOnHand(storeId, a!, 4, async (change) => ({ write: true, result: change }))).toEqual({ found: true, result: -6 });
    expect(await onHand([a!])).toEqual([4]);
    expect(await ledger().setOnHand(randomUUID(), a!, 1, async () => ({ write: true, result: 0 }))).toEqual({ found: false });
  });

  it("reads a store's products and live holds for a rebuild", async () => {
    const storeId = randomUUID();
    const [a] = await seedProducts(storeId, [9]);
    const { order, reservationId } = await orderWithHold("STOCK_RESERVED", [{ productId: a!, quantity: 2 }]);
    await db.pool.query(`UPDATE p_stock_reservation_log SET store_id = $2 WHERE reservation_id = $1`, [reservationId, storeId]);
    const snapshot = await ledger().withStoreSnapshot(storeId, async (s) => s);
    expect(snapshot.products).toEqual([{ productId: a, onHand: 9 }]);
    expect(snapshot.holds).toMatchObject([{ reservationId, orderId: order.id, products: [{ productId: a, quantity: 2 }], status: "RESERVED" }]);
    expect(await ledger().stores()).toContain(storeId);
  });
});
