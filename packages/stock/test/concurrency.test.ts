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

describe("concurrent reservations", () => {
  it("1,000 concurrent single-unit reservations against 100 units: exactly 100 succeed", async () => {
    const storeId = randomUUID();
    const [productId] = await seedProducts(h.db.prisma, storeId, [100]);
    const stock = h.service();
    await stock.rebuild();

    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId: productId!, quantity: 1 }], holdSeconds: 600 }),
      ),
    );

    const won = results.filter((r) => r.ok);
    const lost = results.filter((r) => !r.ok);
    expect(won).toHaveLength(100);
    expect(lost).toHaveLength(900);
    for (const r of lost) expect(r).toMatchObject({ ok: false, reason: "OUT_OF_STOCK", productId, requested: 1, available: 0 });
    expect(await stock.getStock(storeId, productId!)).toEqual({ onHand: 100, available: 0, reserved: 100 });

    const rows = await h.db.prisma.stockReservationLog.findMany({ where: { storeId } });
    expect(rows).toHaveLength(100);
    expect(rows.every((r) => r.status === "RESERVED")).toBe(true);
    expect(new Set(rows.map((r) => r.reservationId))).toEqual(new Set(won.map((r) => (r.ok ? r.reservationId : ""))));
  });

  it("concurrent confirms and releases of the winners never oversell or double count", async () => {
    const storeId = randomUUID();
    const [productId] = await seedProducts(h.db.prisma, storeId, [50]);
    const stock = h.service();
    await stock.rebuild();
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId: productId!, quantity: 1 }], holdSeconds: 600 }),
      ),
    );
    const ids = results.flatMap((r) => (r.ok ? [r.reservationId] : []));
    expect(ids).toHaveLength(50);
    // Each winner gets a confirm and a release racing each other, twice over.
    const outcomes = await Promise.all(
      ids.flatMap((id) => [stock.confirm(id), stock.release(id, "CANCELLED"), stock.confirm(id), stock.release(id, "CANCELLED")]),
    );
    expect(outcomes.filter((o) => o === "RELEASED")).toHaveLength(50);
    // Every reservation ended RELEASED (whether it was sold first or not): all 50 units are back.
    expect(await stock.getStock(storeId, productId!)).toEqual({ onHand: 50, available: 50, reserved: 0 });
    const product = await h.db.prisma.product.findUniqueOrThrow({ where: { id: productId! } });
    expect(product.onHand).toBe(50);
    const rows = await h.db.prisma.stockReservationLog.findMany({ where: { storeId } });
    expect(rows.every((r) => r.status === "RELEASED")).toBe(true);
  });
});
