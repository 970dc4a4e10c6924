import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stockScriptFiles } from "../src/commands.ts";
import { globalKeys } from "../src/keys.ts";
import { StockScripts } from "../src/stock-scripts.ts";
import { openHarness, type Harness } from "./support/harness.ts";
import { seedProducts } from "./support/fixtures.ts";
import { HAS_REDIS_SERVER, startLocalCluster, type LocalCluster } from "./support/local-cluster.ts";
import { callEveryScript, recordingRedis, scriptOf } from "./support/recording-redis.ts";
import { keysUnder, REDIS_URL } from "./support/redis.ts";

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
  it("each script's keys, as the scripts object packs them, hash to one slot, the store's", async () => {
    const prefix = h.prefix();
    const storeId = randomUUID();
    const reservationId = `${storeId}.${randomUUID()}`;
    const real = new Redis(REDIS_URL);
    const { redis, calls } = recordingRedis(real);
    await callEveryScript(new StockScripts({ redis, prefix, finalRecordTtlMs: 60_000 }), storeId, reservationId).finally(() => real.disconnect());
    // Every script file is called, with its declared key count.
    const files = stockScriptFiles();
    expect(calls.map((c) => `${scriptOf(c.command)}-${c.keys.length}.lua`).sort()).toEqual(files.map((f) => f.file).sort());
    const storeSlot = await keyslot(`{store:${storeId}}`);
    const lockSlot = await keyslot(globalKeys(prefix).rebuildLock);
    for (const { command, keys } of calls) {
      // The rebuild script appends reservation ids to its KEYS[4], the record prefix.
      const declared = scriptOf(command) === "rebuild-store" ? [...keys, `${keys[3]}${reservationId}`] : keys;
      const slots = new Set(await Promise.all(declared.map(keyslot)));
      expect({ command, slots: [...slots] }).toEqual({ command, slots: [scriptOf(command) === "unlock" ? lockSlot : storeSlot] });
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
