import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openHarness, type Harness } from "./support/harness.ts";
import { onHandInPg, seedProducts } from "./support/fixtures.ts";

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterEach(async () => h.reset());
afterAll(async () => h.close());

describe("SCRIPT FLUSH", () => {
  it("every operation still works after the server forgot the scripts (EVALSHA reloads on NOSCRIPT)", async () => {
    const storeId = randomUUID();
    const [a] = await seedProducts(h.db.prisma, storeId, [10]);
    const stock = h.service({ sweepGraceMs: 0 });
    await stock.rebuild();
    const past = new Date(Date.now() - 3_600_000);
    const hold = async (now?: Date) => {
      await h.redis.script("FLUSH");
      const r = await stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId: a!, quantity: 1 }], holdSeconds: 60, now });
      if (!r.ok) throw new Error("expected a hold");
      return r.reservationId;
    };
    const sold = await hold();
    const cancelled = await hold();
    const expired = await hold(past);

    await h.redis.script("FLUSH");
    expect(await stock.confirm(sold)).toBe("CONFIRMED");
    await h.redis.script("FLUSH");
    expect(await stock.release(cancelled, "CANCELLED")).toBe("RELEASED");
    await h.redis.script("FLUSH");
    expect((await stock.sweepExpired(new Date(), 10)).released).toEqual([expired]);
    await h.redis.script("FLUSH");
    expect(await stock.setOnHand(storeId, a!, 12)).toEqual({ ok: true });
    await h.redis.script("FLUSH");
    expect(await stock.getStock(storeId, a!)).toEqual({ onHand: 12, available: 12, reserved: 0 });
    await h.redis.script("FLUSH");
    expect(await stock.rebuild()).toMatchObject({ products: 1, holds: 0 });
    await h.redis.script("FLUSH");
    expect(await stock.getStock(storeId, a!)).toEqual({ onHand: 12, available: 12, reserved: 0 });
    expect(await onHandInPg(h.db.prisma, a!)).toBe(12);
  });
});
