import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfirmCode } from "../src/script-codes.ts";
import { StockScripts } from "../src/stock-scripts.ts";
import { storeKeys } from "../src/keys.ts";
import type { ProductionPathStock } from "./support/production-path.ts";
import { openHarness, type Harness } from "./support/harness.ts";
import { onHandInPg, seedProducts } from "./support/fixtures.ts";

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterEach(async () => h.reset());
afterAll(async () => h.close());

async function setup(onHand = 10) {
  const storeId = randomUUID();
  const [productId] = await seedProducts(h.db.prisma, storeId, [onHand]);
  const prefix = h.prefix();
  const stock = h.service({ prefix });
  await stock.rebuild();
  const hold = async (quantity: number, now?: Date) => {
    const r = await stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId: productId!, quantity }], holdSeconds: 60, now });
    if (!r.ok) throw new Error("expected a hold");
    return r.reservationId;
  };
  const status = async (reservationId: string) =>
    (await h.db.prisma.stockReservationLog.findUniqueOrThrow({ where: { reservationId } })).status;
  return { storeId, productId: productId!, prefix, stock, hold, status };
}

async function levels(stock: ProductionPathStock, storeId: string, productId: string) {
  return { redis: await stock.getStock(storeId, productId), pgOnHand: await onHandInPg(h.db.prisma, productId) };
}

describe("exactly-once state changes", () => {
  it("a second confirm is a no-op", async () => {
    const { stock, hold, storeId, productId, status } = await setup();
    const id = await hold(3);
    expect(await stock.confirm(id)).toBe("CONFIRMED");
    expect(await stock.confirm(id)).toBe("ALREADY_CONFIRMED");
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 7, available: 7, reserved: 0 }, pgOnHand: 7 });
    expect(await status(id)).toBe("CONFIRMED");
  });

  it("a second release is a no-op, and confirm after release is refused", async () => {
    const { stock, hold, storeId, productId, status } = await setup();
    const id = await hold(3);
    expect(await stock.release(id, "CANCELLED")).toBe("RELEASED");
    expect(await stock.release(id, "CANCELLED")).toBe("ALREADY_RELEASED");
    expect(await stock.confirm(id)).toBe("NOT_HELD");
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 10, available: 10, reserved: 0 }, pgOnHand: 10 });
    expect(await status(id)).toBe("RELEASED");
  });

  it("a timeout release is logged EXPIRED", async () => {
    const { stock, hold, status } = await setup();
    const id = await hold(1);
    expect(await stock.release(id, "TIMEOUT")).toBe("RELEASED");
    expect(await status(id)).toBe("EXPIRED");
  });

  it("releasing a sale gives the units back to available and to on_hand, once", async () => {
    const { stock, hold, storeId, productId, status } = await setup();
    const id = await hold(4);
    expect(await stock.confirm(id)).toBe("CONFIRMED");
    expect(await stock.release(id, "REJECTED")).toBe("RELEASED");
    expect(await stock.release(id, "REJECTED")).toBe("ALREADY_RELEASED");
    expect(await stock.confirm(id)).toBe("NOT_HELD");
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 10, available: 10, reserved: 0 }, pgOnHand: 10 });
    expect(await status(id)).toBe("RELEASED");
  });

  it("the sweep never releases a confirmed reservation, and a release after the sweep is a no-op", async () => {
    const { stock, hold, storeId, productId, status } = await setup();
    const past = new Date(Date.now() - 3_600_000);
    const sold = await hold(2, past);
    const expired = await hold(3, past);
    expect(await stock.confirm(sold)).toBe("CONFIRMED");
    const swept = await stock.sweepExpired(new Date(), 100);
    expect(swept.released).toEqual([expired]);
    expect(await stock.release(expired, "TIMEOUT")).toBe("ALREADY_RELEASED");
    expect(await stock.confirm(expired)).toBe("NOT_HELD");
    expect((await stock.sweepExpired(new Date(), 100)).released).toEqual([]);
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 8, available: 8, reserved: 0 }, pgOnHand: 8 });
    expect(await status(sold)).toBe("CONFIRMED");
    expect(await status(expired)).toBe("EXPIRED");
  });

  it("unknown reservation ids are answered, not thrown", async () => {
    const { stock, storeId } = await setup();
    expect(await stock.confirm(`${storeId}.${randomUUID()}`)).toBe("NOT_HELD");
    expect(await stock.release(`${storeId}.${randomUUID()}`, "CANCELLED")).toBe("UNKNOWN");
    expect(await stock.release("garbage", "CANCELLED")).toBe("UNKNOWN");
  });

  it("a retry after a crash between the Redis and PostgreSQL halves of confirm completes PostgreSQL once", async () => {
    const { stock, hold, storeId, productId, status, prefix } = await setup();
    const id = await hold(3);
    // The crash: only the Redis half ran.
    const scripts = new StockScripts({ redis: h.redis, prefix, finalRecordTtlMs: 60_000 });
    expect(await scripts.confirm(storeId, id)).toBe(ConfirmCode.Confirmed);
    expect(await status(id)).toBe("RESERVED");
    expect(await stock.confirm(id)).toBe("ALREADY_CONFIRMED");
    expect(await stock.confirm(id)).toBe("ALREADY_CONFIRMED");
    expect(await status(id)).toBe("CONFIRMED");
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 7, available: 7, reserved: 0 }, pgOnHand: 7 });
  });

  it("a release racing a half-done confirm leaves both sides equal", async () => {
    const { stock, hold, storeId, productId, status, prefix } = await setup();
    const id = await hold(3);
    // Confirm's Redis half only; then a full release; then confirm's PostgreSQL half (the retry).
    await new StockScripts({ redis: h.redis, prefix, finalRecordTtlMs: 60_000 }).confirm(storeId, id);
    expect(await stock.release(id, "CANCELLED")).toBe("RELEASED");
    expect(await stock.confirm(id)).toBe("NOT_HELD");
    expect(await status(id)).toBe("RELEASED");
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 10, available: 10, reserved: 0 }, pgOnHand: 10 });
  });

  it("a sale whose Redis record has gone (its TTL) is still given back once, from PostgreSQL", async () => {
    const { stock, hold, storeId, productId, prefix, status } = await setup();
    const id = await hold(2);
    expect(await stock.confirm(id)).toBe("CONFIRMED");
    // Stands in for the final-record TTL running out (no waiting in tests).
    await h.redis.del(storeKeys(prefix, storeId).record(id));
    expect(await stock.confirm(id)).toBe("ALREADY_CONFIRMED");
    expect(await stock.release(id, "CANCELLED")).toBe("RELEASED");
    expect(await stock.release(id, "CANCELLED")).toBe("ALREADY_RELEASED");
    expect(await status(id)).toBe("RELEASED");
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 10, available: 10, reserved: 0 }, pgOnHand: 10 });
  });

  it("final records get a TTL, held records none", async () => {
    const { stock, hold, storeId, prefix } = await setup();
    const keys = storeKeys(prefix, storeId);
    const held = await hold(1);
    const sold = await hold(1);
    const gone = await hold(1);
    await stock.confirm(sold);
    await stock.release(gone, "CANCELLED");
    expect(await h.redis.pttl(keys.record(held))).toBe(-1);
    expect(await h.redis.pttl(keys.record(sold))).toBeGreaterThan(0);
    expect(await h.redis.pttl(keys.record(gone))).toBeGreaterThan(0);
    expect(await h.redis.zrange(keys.expiries, 0, -1)).toEqual([held]);
  });
});

describe("setOnHand", () => {
  it("sets on hand in Redis and PostgreSQL, refusing less than is held", async () => {
    const { stock, hold, storeId, productId } = await setup(10);
    await hold(6);
    expect(await stock.setOnHand(storeId, productId, 5)).toEqual({ ok: false, code: "STOCK_HELD", reserved: 6 });
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 10, available: 4, reserved: 6 }, pgOnHand: 10 });
    expect(await stock.setOnHand(storeId, productId, 6)).toEqual({ ok: true });
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 6, available: 0, reserved: 6 }, pgOnHand: 6 });
    expect(await stock.setOnHand(storeId, productId, 20)).toEqual({ ok: true });
    expect(await levels(stock, storeId, productId)).toEqual({ redis: { onHand: 20, available: 14, reserved: 6 }, pgOnHand: 20 });
  });

  it("introduces a product Redis has not seen and refuses one PostgreSQL does not know", async () => {
    const { stock, storeId } = await setup();
    const [fresh] = await seedProducts(h.db.prisma, storeId, [0]);
    expect(await stock.getStock(storeId, fresh!)).toBeNull();
    expect(await stock.setOnHand(storeId, fresh!, 7)).toEqual({ ok: true });
    expect(await stock.getStock(storeId, fresh!)).toEqual({ onHand: 7, available: 7, reserved: 0 });
    await expect(stock.setOnHand(storeId, randomUUID(), 1)).rejects.toMatchObject({ code: "UNKNOWN_PRODUCT" });
  });
});
