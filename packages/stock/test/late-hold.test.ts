import { randomUUID } from "node:crypto";
import { OrderWrite } from "@order-flow/db";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ProductionPathStock } from "./support/production-path.ts";
import { seedProducts } from "./support/fixtures.ts";
import { openHarness, type Harness } from "./support/harness.ts";
import { deleteKeys } from "./support/redis.ts";

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterEach(async () => h.reset());
afterAll(async () => h.close());

/**
 * The window a data loss can hit: the API's hold is in Redis, Redis loses its data and is
 * rebuilt from PostgreSQL, and only then does the order's transaction commit the hold's log row.
 */
async function holdCommittedAfterRebuild(stock: ProductionPathStock, prefix: string) {
  const storeId = randomUUID();
  const [productId] = await seedProducts(h.db.prisma, storeId, [10]);
  await stock.rebuild();
  const { result, logRow } = await stock.holdOnly({ orderId: randomUUID(), storeId, items: [{ productId: productId!, quantity: 3 }], holdSeconds: 600 });
  if (!result.ok || !logRow) throw new Error("expected a hold");
  await deleteKeys(h.redis, prefix);
  expect(await stock.ensureIntact()).toBe(true);
  // The rebuild did not see the hold: its units look free.
  expect(await stock.getStock(storeId, productId!)).toEqual({ onHand: 10, available: 10, reserved: 0 });
  await new OrderWrite().insertReservationLog(logRow).run(h.db.database);
  return { storeId, productId: productId!, reservationId: result.reservationId };
}

async function onHandInPg(productId: string): Promise<number> {
  return (await h.db.prisma.product.findUniqueOrThrow({ where: { id: productId } })).onHand;
}

describe("a hold whose log row committed after a rebuild", () => {
  it("is sold from its durable copy when its order is paid, once", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix });
    const { storeId, productId, reservationId } = await holdCommittedAfterRebuild(stock, prefix);
    expect(await stock.confirm(reservationId)).toBe("CONFIRMED");
    expect(await stock.confirm(reservationId)).toBe("ALREADY_CONFIRMED");
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 7, available: 7, reserved: 0 });
    expect(await onHandInPg(productId)).toBe(7);
    const row = await h.db.prisma.stockReservationLog.findUniqueOrThrow({ where: { reservationId } });
    expect(row.status).toBe("CONFIRMED");
  });

  it("is put back by restoreLateHolds, so its units cannot be sold twice", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix });
    const { storeId, productId, reservationId } = await holdCommittedAfterRebuild(stock, prefix);
    expect(await stock.restoreLateHolds(new Date(Date.now() - 60_000))).toBe(1);
    expect(await stock.restoreLateHolds(new Date(Date.now() - 60_000))).toBe(0);
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 10, available: 7, reserved: 3 });
    const greedy = await stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId, quantity: 8 }], holdSeconds: 60 });
    expect(greedy.ok).toBe(false);
    expect(await stock.release(reservationId, "CANCELLED")).toBe("RELEASED");
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    expect(await onHandInPg(productId)).toBe(10);
  });

  it("is not sold when its units went to someone else meanwhile (the paid order's job fails visibly)", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix });
    const { storeId, productId, reservationId } = await holdCommittedAfterRebuild(stock, prefix);
    const other = await stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId, quantity: 9 }], holdSeconds: 60 });
    expect(other.ok).toBe(true);
    expect(await stock.confirm(reservationId)).toBe("NOT_HELD");
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 10, available: 1, reserved: 9 });
    expect(await onHandInPg(productId)).toBe(10);
  });
});
