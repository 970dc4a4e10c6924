import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { globalKeys, storeKeys } from "../src/keys.ts";
import { ConfirmCode, DeferCode, ReleaseCode, ReserveCode, SetOnHandCode } from "../src/script-codes.ts";
import { StockScripts } from "../src/stock-scripts.ts";
import { recordingRedis } from "./support/recording-redis.ts";
import { deleteKeys, newRedis, testPrefix } from "./support/redis.ts";

const TTL = 60_000;

describe("StockScripts packs KEYS and ARGV as each script's header says", () => {
  const prefix = testPrefix();
  const storeId = randomUUID();
  const id = `${storeId}.${randomUUID()}`;
  const k = storeKeys(prefix, storeId);
  const [a, b] = [randomUUID(), randomUUID()];
  const items = [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }];
  const expiresAt = new Date(1_700_000_000_000);
  const connections: ReturnType<typeof newRedis>[] = [];
  afterAll(async () => {
    await deleteKeys(connections[0]!, prefix);
    for (const c of connections) c.disconnect();
  });
  const record = () => {
    const real = newRedis();
    connections.push(real);
    const { redis, calls } = recordingRedis(real);
    return { scripts: new StockScripts({ redis, prefix, finalRecordTtlMs: TTL }), calls };
  };

  it("reserve: the store's four keys; id, order, deadline, items JSON, then product/quantity pairs", async () => {
    const { scripts, calls } = record();
    const orderId = randomUUID();
    await scripts.reserve(storeId, id, orderId, items, expiresAt);
    expect(calls).toEqual([
      {
        command: expect.stringMatching(/^stock_reserve_v\d+$/),
        keys: [k.available, k.reserved, k.record(id), k.expiries],
        args: [id, orderId, expiresAt.getTime(), JSON.stringify(items), a, 2, b, 1],
      },
    ]);
  });

  it("confirm, release and defer carry the final-record TTL, the mode and the sale's items where due", async () => {
    const { scripts, calls } = record();
    await scripts.confirm(storeId, id);
    await scripts.release(storeId, id, "HELD_ONLY");
    await scripts.release(storeId, id, "ANY", items);
    await scripts.defer(storeId, id, 42);
    expect(calls.map(({ keys, args }) => ({ keys, args }))).toEqual([
      { keys: [k.reserved, k.record(id), k.expiries], args: [id, TTL] },
      { keys: [k.available, k.reserved, k.record(id), k.expiries], args: [id, TTL, "HELD_ONLY", ""] },
      { keys: [k.available, k.reserved, k.record(id), k.expiries], args: [id, TTL, "ANY", JSON.stringify(items)] },
      { keys: [k.record(id), k.expiries], args: [id, 42] },
    ]);
  });

  it("setOnHand, rebuildStore and the rebuild lock", async () => {
    const { scripts, calls } = record();
    await scripts.setOnHand(storeId, a, 7, null);
    await scripts.setOnHand(storeId, a, 7, -3);
    await scripts.rebuildStore(storeId, [{ productId: a, available: 5 }, { productId: b, available: 0 }], [
      { reservationId: id, orderId: "o", products: items, expiresAt },
    ]);
    await scripts.unlockRebuild("token");
    expect(calls.map(({ keys, args }) => ({ keys, args }))).toEqual([
      { keys: [k.available, k.reserved], args: [a, 7, ""] },
      { keys: [k.available, k.reserved], args: [a, 7, "-3"] },
      {
        keys: [k.available, k.reserved, k.expiries, k.recordPrefix],
        args: [2, a, 5, b, 0, id, "o", JSON.stringify(items), expiresAt.getTime()],
      },
      { keys: [globalKeys(prefix).rebuildLock], args: ["token"] },
    ]);
  });
});

describe("StockScripts decodes the replies", () => {
  const redis = newRedis();
  const prefix = testPrefix();
  const scripts = new StockScripts({ redis, prefix, finalRecordTtlMs: TTL });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  it("from a hold through its sale and release, and on an unknown store", async () => {
    const storeId = randomUUID();
    const productId = randomUUID();
    const id = `${storeId}.${randomUUID()}`;
    const items = [{ productId, quantity: 3 }];
    const expiresAt = new Date(Date.now() + 60_000);
    expect(await scripts.getStock(storeId, productId)).toBeNull();
    expect(await scripts.reserve(storeId, id, randomUUID(), items, expiresAt)).toEqual({
      code: ReserveCode.UnknownProduct,
      productId,
      requested: 3,
      available: 0,
    });
    expect(await scripts.setOnHand(storeId, productId, 5, null)).toEqual({ code: SetOnHandCode.Set, reserved: 0 });
    expect(await scripts.reserve(storeId, id, randomUUID(), items, expiresAt)).toEqual({ code: ReserveCode.Held });
    expect(await scripts.reserve(storeId, id, randomUUID(), items, expiresAt)).toEqual({ code: ReserveCode.DuplicateId });
    expect(await scripts.setOnHand(storeId, productId, 2, null)).toEqual({ code: SetOnHandCode.StockHeld, reserved: 3 });
    expect(await scripts.getStock(storeId, productId)).toEqual({ available: 2, reserved: 3 });
    expect(await scripts.defer(storeId, id, Date.now())).toBe(DeferCode.Deferred);
    expect(await scripts.confirm(storeId, id)).toBe(ConfirmCode.Confirmed);
    expect(await scripts.release(storeId, id, "HELD_ONLY")).toEqual({ code: ReleaseCode.RefusedConfirmed, from: "CONFIRMED" });
    expect(await scripts.release(storeId, id, "ANY")).toEqual({ code: ReleaseCode.ReleasedFromConfirmed, from: "CONFIRMED" });
    expect(await scripts.release(storeId, `${storeId}.${randomUUID()}`, "ANY")).toEqual({ code: ReleaseCode.Missing, from: null });
    expect(await scripts.rebuildStore(storeId, [{ productId, available: 4 }], [])).toEqual({ products: 1, holds: 0 });
    expect(await scripts.unlockRebuild("not-the-owner")).toBe(false);
  });
});
