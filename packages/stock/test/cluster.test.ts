import { randomUUID } from "node:crypto";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@order-flow/db/testing";
import { pgReservationLedger } from "@order-flow/db";
import { logStatuses, onHandInPg, seedProducts } from "./support/fixtures.ts";
import { ProductionPathStock } from "./support/production-path.ts";
import { HAS_REDIS_SERVER, startLocalCluster, type LocalCluster } from "./support/local-cluster.ts";
import { deleteKeys, testPrefix } from "./support/redis.ts";

// A real 3-master Redis Cluster started from the installed redis-server on loopback ports.
let cluster: LocalCluster | undefined;
let redis: Cluster | undefined;
let db: TestDatabase;
const prefix = testPrefix();

beforeAll(async () => {
  db = await createTestDatabase();
  if (!HAS_REDIS_SERVER) return;
  cluster = await startLocalCluster(3);
  redis = new Cluster(cluster.ports.map((port) => ({ host: "127.0.0.1", port })));
});
afterAll(async () => {
  // The cluster is this file's own and is removed below: no keys to clean up one by one.
  redis?.disconnect();
  await cluster?.stop();
  await db.drop();
});

describe.skipIf(!HAS_REDIS_SERVER)("on a 3-master Redis Cluster", () => {
  it("1,000 concurrent reservations against 100 units: exactly 100 succeed; the rest of the API works", async () => {
    const stock = new ProductionPathStock(
      { redis: redis!, ledger: pgReservationLedger(db.database), prefix, sweepGraceMs: 0 },
      db.database,
    );
    // Stores spread over the masters: each store's keys live on one of them.
    const stores = Array.from({ length: 6 }, () => randomUUID());
    const products = new Map<string, string>();
    for (const storeId of stores) products.set(storeId, (await seedProducts(db.prisma, storeId, [100]))[0]!);
    expect(await stock.ensureIntact()).toBe(true);

    const [storeId] = stores;
    const productId = products.get(storeId!)!;
    const results = await Promise.all(
      Array.from({ length: 1000 }, () =>
        stock.reserve({ orderId: randomUUID(), storeId: storeId!, items: [{ productId, quantity: 1 }], holdSeconds: 600 }),
      ),
    );
    const won = results.flatMap((r) => (r.ok ? [r.reservationId] : []));
    expect(won).toHaveLength(100);
    expect(await stock.getStock(storeId!, productId)).toEqual({ onHand: 100, available: 0, reserved: 100 });
    expect(await db.prisma.stockReservationLog.count({ where: { storeId: storeId!, status: "RESERVED" } })).toBe(100);

    // Confirm, release and sweep across the other stores (the sweep walks every store's slot).
    const past = new Date(Date.now() - 3_600_000);
    const expired: string[] = [];
    for (const other of stores.slice(1)) {
      const line = [{ productId: products.get(other)!, quantity: 2 }];
      const sold = await stock.reserve({ orderId: randomUUID(), storeId: other, items: line, holdSeconds: 60 });
      const late = await stock.reserve({ orderId: randomUUID(), storeId: other, items: line, holdSeconds: 60, now: past });
      if (!sold.ok || !late.ok) throw new Error("expected holds");
      expect(await stock.confirm(sold.reservationId)).toBe("CONFIRMED");
      expect(await stock.release(sold.reservationId, "CANCELLED")).toBe("RELEASED");
      expired.push(late.reservationId);
    }
    const swept = await stock.sweepExpired(new Date(), 1000);
    expect(new Set(swept.released)).toEqual(new Set(expired));
    for (const other of stores.slice(1)) {
      expect(await stock.getStock(other, products.get(other)!)).toEqual({ onHand: 100, available: 100, reserved: 0 });
      expect(await onHandInPg(db.prisma, products.get(other)!)).toBe(100);
    }
    const statuses = await logStatuses(db.prisma);
    expect(expired.every((id) => statuses.get(id) === "EXPIRED")).toBe(true);

    // Data loss on the cluster (every key under the prefix deleted), then the rebuild.
    await deleteKeys(redis!, prefix);
    expect(await stock.ensureIntact()).toBe(true);
    expect(await stock.getStock(storeId!, productId)).toEqual({ onHand: 100, available: 0, reserved: 100 });
    expect(await stock.confirm(won[0]!)).toBe("CONFIRMED");
    expect(await stock.getStock(storeId!, productId)).toEqual({ onHand: 99, available: 0, reserved: 99 });
  });
});
