import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stockScriptFiles } from "../src/commands.ts";
import { globalKeys, storeKeys } from "../src/keys.ts";
import { openHarness, type Harness } from "./support/harness.ts";
import { seedProducts } from "./support/fixtures.ts";
import { HAS_REDIS_SERVER, startLocalCluster, type LocalCluster } from "./support/local-cluster.ts";
import { keysUnder } from "./support/redis.ts";

// The shared server runs without cluster support, where CLUSTER KEYSLOT is refused; a
// cluster-enabled redis-server of our own on a loopback port computes the real slots.
let h: Harness;
let node: LocalCluster | undefined;
let slotsOf: Redis | undefined;

beforeAll(async () => {
  h = await openHarness();
  if (HAS_REDIS_SERVER) {
    node = await startLocalCluster(1);
    slotsOf = new Redis({ host: "127.0.0.1", port: node.ports[0]! });
  }
});
afterEach(async () => h.reset());
afterAll(async () => {
  slotsOf?.disconnect();
  await node?.stop();
  await h.close();
});

const keyslot = async (key: string) => Number(await slotsOf!.cluster("KEYSLOT", key));

describe.skipIf(!HAS_REDIS_SERVER)("Redis Cluster slots", () => {
  it("each script's declared keys hash to one slot, the store's", async () => {
    const prefix = h.prefix();
    const storeId = randomUUID();
    const k = storeKeys(prefix, storeId);
    const reservationId = `${storeId}.${randomUUID()}`;
    const g = globalKeys(prefix);
    const keySets: Record<string, string[]> = {
      "reserve-4.lua": [k.available, k.reserved, k.record(reservationId), k.expiries],
      "confirm-3.lua": [k.reserved, k.record(reservationId), k.expiries],
      "release-4.lua": [k.available, k.reserved, k.record(reservationId), k.expiries],
      "defer-2.lua": [k.record(reservationId), k.expiries],
      "set-on-hand-2.lua": [k.available, k.reserved],
      "get-stock-2.lua": [k.available, k.reserved],
      // KEYS[4] is the record prefix the script appends reservation ids to.
      "rebuild-store-4.lua": [k.available, k.reserved, k.expiries, k.recordPrefix, k.record(reservationId)],
      "unlock-1.lua": [g.rebuildLock],
    };
    // Every script file is covered, with its declared key count.
    const files = stockScriptFiles();
    expect(files.map((f) => f.file).sort()).toEqual(Object.keys(keySets).sort());
    const storeSlot = await keyslot(`{store:${storeId}}`);
    for (const { file, numberOfKeys } of files) {
      const keys = keySets[file]!;
      expect(keys.length).toBeGreaterThanOrEqual(numberOfKeys);
      const slots = new Set(await Promise.all(keys.map(keyslot)));
      expect({ file, slots: [...slots] }).toEqual({ file, slots: [file === "unlock-1.lua" ? await keyslot(g.rebuildLock) : storeSlot] });
    }
  });

  it("every key the service wrote for a store lies in that store's slot", async () => {
    const prefix = h.prefix();
    const stock = h.service({ prefix, sweepGraceMs: 0 });
    const stores = [randomUUID(), randomUUID()];
    for (const storeId of stores) {
      const [a, b] = await seedProducts(h.db.prisma, storeId, [10, 10]);
      await stock.rebuild();
      const hold = async (now?: Date) => {
        const r = await stock.reserve({ orderId: randomUUID(), storeId, items: [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 2 }], holdSeconds: 60, now });
        if (!r.ok) throw new Error("expected a hold");
        return r.reservationId;
      };
      await hold();
      await stock.confirm(await hold());
      await stock.release(await hold(), "CANCELLED");
      await hold(new Date(Date.now() - 3_600_000));
      await stock.sweepExpired(new Date(), 10);
      await stock.setOnHand(storeId, a!, 20);
    }
    const keys = await keysUnder(h.redis, prefix);
    const global = new Set(Object.values(globalKeys(prefix)));
    const byStore = new Map<string, Set<number>>();
    for (const key of keys) {
      if (global.has(key)) continue;
      const storeId = /\{store:([^}]+)\}/.exec(key)?.[1];
      expect({ key, tagged: Boolean(storeId) }).toEqual({ key, tagged: true });
      const slots = byStore.get(storeId!) ?? new Set();
      slots.add(await keyslot(key));
      byStore.set(storeId!, slots);
    }
    expect([...byStore.keys()].sort()).toEqual([...stores].sort());
    for (const storeId of stores) {
      expect([...byStore.get(storeId)!]).toEqual([await keyslot(`{store:${storeId}}`)]);
    }
  });
});
