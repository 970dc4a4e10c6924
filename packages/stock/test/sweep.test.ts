import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { StockScripts } from "../src/stock-scripts.ts";
import { storeKeys } from "../src/keys.ts";
import { openHarness, type Harness } from "./support/harness.ts";
import { insertOrder, logStatuses, onHandInPg, seedProducts } from "./support/fixtures.ts";

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterEach(async () => h.reset());
afterAll(async () => h.close());

const GRACE = 60_000;

async function setup(onHand = 100) {
  const storeId = randomUUID();
  const [productId] = await seedProducts(h.db.prisma, storeId, [onHand]);
  const prefix = h.prefix();
  const stock = h.service({ prefix, sweepGraceMs: GRACE });
  await stock.rebuild();
  const t0 = new Date("2030-01-01T00:00:00.000Z");
  const hold = async (orderId = randomUUID(), quantity = 1) => {
    const r = await stock.reserve({ orderId, storeId, items: [{ productId: productId!, quantity }], holdSeconds: 600, now: t0 });
    if (!r.ok) throw new Error("expected a hold");
    return r.reservationId;
  };
  const deadline = t0.getTime() + 600_000;
  return { storeId, productId: productId!, prefix, stock, hold, deadline };
}

describe("sweepExpired", () => {
  it("waits out the grace period, then releases unpaid holds and logs them EXPIRED", async () => {
    const { stock, hold, deadline, storeId, productId } = await setup();
    const id = await hold(undefined, 5);
    expect((await stock.sweepExpired(new Date(deadline), 100)).released).toEqual([]);
    expect((await stock.sweepExpired(new Date(deadline + GRACE - 1), 100)).released).toEqual([]);
    expect((await stock.sweepExpired(new Date(deadline + GRACE), 100)).released).toEqual([id]);
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 100, available: 100, reserved: 0 });
    expect((await logStatuses(h.db.prisma)).get(id)).toBe("EXPIRED");
  });

  it("skips holds of paid orders (p_order status) and confirmed reservations", async () => {
    const { stock, hold, deadline, storeId, productId } = await setup();
    const paidOrder = randomUUID();
    const pendingOrder = randomUUID();
    await insertOrder(h.db.prisma, paidOrder, storeId, "PAYMENT_COMPLETED");
    await insertOrder(h.db.prisma, pendingOrder, storeId, "PAYMENT_PENDING");
    const paid = await hold(paidOrder);
    const pending = await hold(pendingOrder);
    const sold = await hold();
    await stock.confirm(sold);
    const after = new Date(deadline + GRACE + 1);
    expect((await stock.sweepExpired(after, 100)).released).toEqual([pending]);
    // The paid hold waits for its confirm, however often the sweep runs.
    expect((await stock.sweepExpired(new Date(after.getTime() + 10 * GRACE), 100)).released).toEqual([]);
    expect(await stock.confirm(paid)).toBe("CONFIRMED");
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 98, available: 98, reserved: 0 });
    expect(await onHandInPg(h.db.prisma, productId)).toBe(98);
    const statuses = await logStatuses(h.db.prisma);
    expect([statuses.get(paid), statuses.get(pending), statuses.get(sold)]).toEqual(["CONFIRMED", "EXPIRED", "CONFIRMED"]);
  });

  it("never releases a paid order's hold sold in Redis whose order statement has not run yet", async () => {
    const { stock, hold, deadline, storeId, productId } = await setup();
    const paidOrder = randomUUID();
    await insertOrder(h.db.prisma, paidOrder, storeId, "PAYMENT_COMPLETED");
    const id = await hold(paidOrder, 3);
    // The PaymentCompleted job got as far as the Redis confirm (its statement is still to come).
    expect(await stock.confirmHold(id)).toBe("CONFIRMED");
    for (const late of [GRACE + 1, 10 * GRACE, 1000 * GRACE]) {
      expect((await stock.sweepExpired(new Date(deadline + late), 100)).released).toEqual([]);
    }
    expect((await logStatuses(h.db.prisma)).get(id)).toBe("RESERVED");
    expect(await onHandInPg(h.db.prisma, productId)).toBe(100);
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 97, available: 97, reserved: 0 });
    // The retry: Redis says ALREADY_CONFIRMED, the statement sells it once.
    expect(await stock.confirm(id)).toBe("ALREADY_CONFIRMED");
    expect((await logStatuses(h.db.prisma)).get(id)).toBe("CONFIRMED");
    expect(await onHandInPg(h.db.prisma, productId)).toBe(97);
  });

  it("several sweepers at once release each reservation exactly once", async () => {
    const { stock, hold, deadline, prefix, storeId, productId } = await setup();
    const ids = await Promise.all(Array.from({ length: 60 }, () => hold()));
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 100, available: 40, reserved: 60 });
    const sweepers = [stock, h.service({ prefix, sweepGraceMs: GRACE }), h.service({ prefix, sweepGraceMs: GRACE })];
    const now = new Date(deadline + GRACE);
    const results = await Promise.all([...sweepers, ...sweepers].map((s) => s.sweepExpired(now, 1000)));
    const released = results.flatMap((r) => r.released);
    expect(released).toHaveLength(60);
    expect(new Set(released)).toEqual(new Set(ids));
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 100, available: 100, reserved: 0 });
    const statuses = await logStatuses(h.db.prisma);
    expect(ids.every((id) => statuses.get(id) === "EXPIRED")).toBe(true);
  });

  it("honours the limit and finishes on the next run", async () => {
    const { stock, hold, deadline } = await setup();
    const ids = await Promise.all(Array.from({ length: 5 }, () => hold()));
    const now = new Date(deadline + GRACE);
    const first = (await stock.sweepExpired(now, 3)).released;
    expect(first).toHaveLength(3);
    const second = (await stock.sweepExpired(now, 3)).released;
    expect(new Set([...first, ...second])).toEqual(new Set(ids));
  });

  it("releases a hold whose log row was never written (crash between Redis and PostgreSQL)", async () => {
    const { stock, deadline, prefix, storeId, productId } = await setup();
    // The crash: the reserve script ran, the process died before the INSERT.
    const id = `${storeId}.${randomUUID()}`;
    const scripts = new StockScripts({ redis: h.redis, prefix, finalRecordTtlMs: 86_400_000 });
    await scripts.reserve(storeId, id, randomUUID(), [{ productId, quantity: 4 }], new Date(deadline));
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 100, available: 96, reserved: 4 });
    expect((await stock.sweepExpired(new Date(deadline + GRACE), 100)).released).toEqual([id]);
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 100, available: 100, reserved: 0 });
  });

  it("closes RESERVED log rows Redis does not hold, without touching counters", async () => {
    const { stock, hold, deadline, prefix, storeId, productId } = await setup();
    const id = await hold(undefined, 2);
    // Stands in for a hold lost with Redis's data before a rebuild picked it up.
    const keys = storeKeys(prefix, storeId);
    await h.redis.del(keys.record(id));
    await h.redis.zrem(keys.expiries, id);
    expect((await stock.sweepExpired(new Date(deadline + GRACE), 100)).released).toEqual([id]);
    expect((await logStatuses(h.db.prisma)).get(id)).toBe("EXPIRED");
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 100, available: 98, reserved: 2 });
  });

  it("finishes the PostgreSQL half of a confirm or release that died halfway", async () => {
    const { stock, hold, deadline, prefix, storeId, productId } = await setup();
    const confirmed = await hold(undefined, 3);
    const released = await hold(undefined, 2);
    const scripts = new StockScripts({ redis: h.redis, prefix, finalRecordTtlMs: 86_400_000 });
    await scripts.confirm(storeId, confirmed);
    await scripts.release(storeId, released, "ANY");
    await stock.sweepExpired(new Date(deadline + GRACE), 100);
    const statuses = await logStatuses(h.db.prisma);
    expect(statuses.get(confirmed)).toBe("CONFIRMED");
    expect(statuses.get(released)).toBe("RELEASED");
    expect(await stock.getStock(storeId, productId)).toEqual({ onHand: 97, available: 97, reserved: 0 });
    expect(await onHandInPg(h.db.prisma, productId)).toBe(97);
  });
});
