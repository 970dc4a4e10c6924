import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { storeKeys } from "../src/keys.ts";
import type { ProductionPathStock } from "./support/production-path.ts";
import { openHarness, type Harness } from "./support/harness.ts";
import { pgView, seedProducts } from "./support/fixtures.ts";
import { prng } from "./support/model.ts";
import { deleteKeys, REDIS_URL } from "./support/redis.ts";

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterEach(async () => h.reset());
afterAll(async () => h.close());

/** Concurrent random traffic across two stores; returns the products by store. */
async function traffic(stock: ProductionPathStock, seed: number) {
  const rand = prng(seed);
  const stores = [randomUUID(), randomUUID()];
  const productsOf = new Map<string, string[]>();
  for (const storeId of stores) {
    productsOf.set(storeId, await seedProducts(h.db.prisma, storeId, Array.from({ length: 10 }, () => rand.int(5, 30))));
  }
  await stock.rebuild();
  const ids: string[] = [];
  const one = async () => {
    const storeId = rand.pick(stores);
    const roll = rand.next();
    if (roll < 0.5 || ids.length === 0) {
      const r = await stock.reserve({
        orderId: randomUUID(),
        storeId,
        items: [{ productId: rand.pick(productsOf.get(storeId)!), quantity: rand.int(1, 3) }],
        holdSeconds: rand.int(60, 900),
      });
      if (r.ok) ids.push(r.reservationId);
    } else if (roll < 0.75) await stock.confirm(rand.pick(ids));
    else await stock.release(rand.pick(ids), "CANCELLED");
  };
  for (let round = 0; round < 20; round += 1) await Promise.all(Array.from({ length: 20 }, one));
  return { stores, productsOf, ids };
}

/** Redis counters and live holds equal what PostgreSQL says. */
async function expectRedisEqualsPg(stock: ProductionPathStock, productsOf: Map<string, string[]>) {
  const pg = await pgView(h.db.prisma);
  for (const [storeId, products] of productsOf) {
    for (const productId of products) {
      const row = pg.get(productId)!;
      expect(await stock.getStock(storeId, productId)).toEqual({
        onHand: row.onHand,
        available: row.onHand - row.reserved,
        reserved: row.reserved,
      });
    }
    const live = await h.db.prisma.stockReservationLog.findMany({ where: { storeId, status: "RESERVED" } });
    const keys = storeKeys(stock.prefix, storeId);
    const index = await h.redis.zrange(keys.expiries, 0, -1, "WITHSCORES");
    const indexed = new Map<string, number>();
    for (let i = 0; i < index.length; i += 2) indexed.set(index[i]!, Number(index[i + 1]));
    expect(indexed).toEqual(new Map(live.map((r) => [r.reservationId, r.expiresAt.getTime()])));
    for (const r of live) {
      expect(await h.redis.hgetall(keys.record(r.reservationId))).toMatchObject({
        orderId: r.orderId,
        state: "HELD",
        deadline: String(r.expiresAt.getTime()),
      });
    }
  }
}

describe("rebuild from PostgreSQL", () => {
  it("after Redis loses its data mid-run, ensureIntact rebuilds counters and live holds equal to PostgreSQL's", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix });
    const { productsOf, ids } = await traffic(stock, 42);
    await expectRedisEqualsPg(stock, productsOf);

    // "Redis lost its data": every key under this test's prefix is deleted (FLUSHALL would hit
    // everyone else on the shared server; for this service the two are indistinguishable).
    expect(await deleteKeys(h.redis, prefix)).toBeGreaterThan(0);
    expect(await stock.getStock([...productsOf.keys()][0]!, productsOf.values().next().value![0]!)).toBeNull();

    // Three processes notice at once: exactly one rebuilds, the others wait for it.
    const peers = [stock, h.service({ prefix }), h.service({ prefix })];
    const rebuilt = await Promise.all(peers.map((s) => s.ensureIntact()));
    expect(rebuilt.filter(Boolean)).toHaveLength(1);
    expect(await stock.ensureIntact()).toBe(false);
    await expectRedisEqualsPg(stock, productsOf);

    // And the run goes on: holds made before the loss can still be confirmed or released.
    const live = await h.db.prisma.stockReservationLog.findMany({ where: { status: "RESERVED" } });
    expect(live.length).toBeGreaterThan(1);
    expect(await stock.confirm(live[0]!.reservationId)).toBe("CONFIRMED");
    expect(await stock.release(live[1]!.reservationId, "CANCELLED")).toBe("RELEASED");
    await expectRedisEqualsPg(stock, productsOf);
    expect(ids.length).toBeGreaterThan(0);
  });

  it("an operation that meets an empty Redis rebuilds first instead of failing", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix });
    const { productsOf } = await traffic(stock, 7);
    const held = await h.db.prisma.stockReservationLog.findFirstOrThrow({ where: { status: "RESERVED" } });
    await deleteKeys(h.redis, prefix); // simulated data loss, as above
    // No explicit ensureIntact: confirm finds its record missing, sees the epoch gone and rebuilds.
    expect(await stock.confirm(held.reservationId)).toBe("CONFIRMED");
    await expectRedisEqualsPg(stock, productsOf);
    await deleteKeys(h.redis, prefix);
    // A product the traffic left a unit of (PostgreSQL's view: on_hand minus live holds).
    const view = await pgView(h.db.prisma);
    const [storeId, products] = [...productsOf.entries()].find(([, ids]) => ids.some((id) => view.get(id)!.onHand > view.get(id)!.reserved))!;
    const productId = products.find((id) => view.get(id)!.onHand > view.get(id)!.reserved)!;
    const r = await stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId, quantity: 1 }], holdSeconds: 60 });
    expect(r).toMatchObject({ ok: true });
    await expectRedisEqualsPg(stock, productsOf);
  });

  it("rebuild replaces stale Redis state (a held record PostgreSQL no longer has)", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix });
    const storeId = randomUUID();
    const [a] = await seedProducts(h.db.prisma, storeId, [10]);
    await stock.rebuild();
    const r = await stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId: a!, quantity: 4 }], holdSeconds: 60 });
    if (!r.ok) throw new Error("expected a hold");
    await h.db.prisma.stockReservationLog.deleteMany({});
    expect(await stock.rebuild()).toMatchObject({ products: 1, holds: 0 });
    expect(await stock.getStock(storeId, a!)).toEqual({ onHand: 10, available: 10, reserved: 0 });
    expect(await h.redis.exists(storeKeys(stock.prefix, storeId).record(r.reservationId))).toBe(0);
  });

  it("pnpm stock:rebuild (the CLI) restores the state", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix });
    const { productsOf } = await traffic(stock, 3);
    await deleteKeys(h.redis, prefix); // simulated data loss, as above
    // The CLI wires this service to the PostgreSQL ledger, so it lives with an app (the worker).
    const cli = fileURLToPath(new URL("../../../apps/worker/src/stock-rebuild.ts", import.meta.url));
    const tsx = fileURLToPath(new URL("../../../node_modules/tsx/dist/cli.mjs", import.meta.url));
    const run = spawnSync(process.execPath, [tsx, cli], {
      env: { ...process.env, DATABASE_URL: h.db.url, REDIS_URL, REDIS_PREFIX: prefix },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/stock rebuilt: 2 stores, 20 products/);
    expect(await stock.ensureIntact()).toBe(false);
    await expectRedisEqualsPg(stock, productsOf);
  });
});
