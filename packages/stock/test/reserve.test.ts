import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openHarness, type Harness } from "./support/harness.ts";
import { seedProducts } from "./support/fixtures.ts";

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterEach(async () => h.reset());
afterAll(async () => h.close());

describe("reserve", () => {
  it("is all-or-nothing: one short item leaves every other counter untouched", async () => {
    const storeId = randomUUID();
    const [a, b, c] = await seedProducts(h.db.prisma, storeId, [10, 2, 10]);
    const stock = h.service();
    await stock.rebuild();

    const result = await stock.reserve({
      orderId: randomUUID(),
      storeId,
      items: [{ productId: a!, quantity: 3 }, { productId: b!, quantity: 5 }, { productId: c!, quantity: 1 }],
      holdSeconds: 600,
    });
    expect(result).toEqual({ ok: false, reason: "OUT_OF_STOCK", productId: b, requested: 5, available: 2 });
    expect(await stock.getStock(storeId, a!)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    expect(await stock.getStock(storeId, b!)).toEqual({ onHand: 2, available: 2, reserved: 0 });
    expect(await stock.getStock(storeId, c!)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    expect(await h.db.prisma.stockReservationLog.count()).toBe(0);

    const ok = await stock.reserve({
      orderId: randomUUID(),
      storeId,
      items: [{ productId: a!, quantity: 3 }, { productId: b!, quantity: 2 }, { productId: c!, quantity: 1 }],
      holdSeconds: 600,
    });
    expect(ok.ok).toBe(true);
    expect(await stock.getStock(storeId, a!)).toEqual({ onHand: 10, available: 7, reserved: 3 });
    expect(await stock.getStock(storeId, b!)).toEqual({ onHand: 2, available: 0, reserved: 2 });
    expect(await stock.getStock(storeId, c!)).toEqual({ onHand: 10, available: 9, reserved: 1 });
  });

  it("names an unknown product and changes nothing", async () => {
    const storeId = randomUUID();
    const [a] = await seedProducts(h.db.prisma, storeId, [5]);
    const stock = h.service();
    await stock.rebuild();
    const ghost = randomUUID();
    const result = await stock.reserve({
      orderId: randomUUID(),
      storeId,
      items: [{ productId: a!, quantity: 1 }, { productId: ghost, quantity: 1 }],
      holdSeconds: 60,
    });
    expect(result).toEqual({ ok: false, reason: "UNKNOWN_PRODUCT", productId: ghost, requested: 1, available: 0 });
    expect(await stock.getStock(storeId, a!)).toEqual({ onHand: 5, available: 5, reserved: 0 });
    expect(await stock.getStock(storeId, ghost)).toBeNull();
  });

  it("merges repeated lines, encodes the store in the id and writes a RESERVED log row", async () => {
    const storeId = randomUUID();
    const [a] = await seedProducts(h.db.prisma, storeId, [5]);
    const stock = h.service();
    await stock.rebuild();
    const orderId = randomUUID();
    const now = new Date("2030-01-01T00:00:00.000Z");
    const result = await stock.reserve({
      orderId,
      storeId,
      items: [{ productId: a!, quantity: 1 }, { productId: a!, quantity: 2 }],
      holdSeconds: 600,
      now,
    });
    if (!result.ok) throw new Error("expected a hold");
    expect(result.reservationId.startsWith(`${storeId}.`)).toBe(true);
    expect(result.expiresAt.toISOString()).toBe("2030-01-01T00:10:00.000Z");
    const row = await h.db.prisma.stockReservationLog.findUniqueOrThrow({ where: { reservationId: result.reservationId } });
    expect(row).toMatchObject({ orderId, storeId, status: "RESERVED", products: [{ productId: a, quantity: 3 }] });
    expect(row.expiresAt.toISOString()).toBe("2030-01-01T00:10:00.000Z");
    expect(await stock.getStock(storeId, a!)).toEqual({ onHand: 5, available: 2, reserved: 3 });
  });

  it("refuses malformed input with INVALID_INPUT", async () => {
    const stock = h.service();
    const storeId = randomUUID();
    const base = { orderId: randomUUID(), storeId, holdSeconds: 60 };
    await expect(stock.reserve({ ...base, items: [] })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(stock.reserve({ ...base, items: [{ productId: randomUUID(), quantity: 0 }] })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await expect(stock.reserve({ ...base, orderId: "nope", items: [{ productId: randomUUID(), quantity: 1 }] })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
  });
});
