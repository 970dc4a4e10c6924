// `pnpm bench:stock`: reservation throughput against the raw Redis ceiling (not a test).
// Creates its own database and Redis prefix and removes both at the end.
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { Redis } from "ioredis";
import { pgReservationLedger } from "@order-flow/db";
import { createTestDatabase } from "@order-flow/db/testing";
import { storeKeys } from "../src/keys.ts";
import { StockScripts } from "../src/stock-scripts.ts";
import { deleteKeys } from "../test/support/redis.ts";
import { seedProducts } from "../test/support/fixtures.ts";
import { ProductionPathStock } from "../test/support/production-path.ts";

const IN_FLIGHT = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const AUTO_PIPELINING = process.env.BENCH_AUTOPIPELINE === "1";

type Row = { name: string; ops: number; seconds: number; p50: number; p99: number };

/** Runs `op` with IN_FLIGHT concurrent loops for `seconds`; per-op latency in ms. */
async function measure(name: string, seconds: number, op: (i: number) => Promise<unknown>): Promise<Row> {
  const latencies: number[] = [];
  let counter = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(counter++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { name, ops: latencies.length, seconds: elapsed, p50: at(0.5), p99: at(0.99) };
}

const TRIVIAL_LUA = `-- same KEYS/ARGV shape as reserve-4.lua, no work
return {0, "", 0, 0}`;

async function main() {
  const db = await createTestDatabase();
  const redis = new Redis(REDIS_URL, { enableAutoPipelining: AUTO_PIPELINING });
  const prefix = `bench:${randomUUID()}:`;
  redis.defineCommand("stock_bench_trivial", { numberOfKeys: 4, lua: TRIVIAL_LUA });
  try {
    const storeId = randomUUID();
    const products = await seedProducts(db.prisma, storeId, Array.from({ length: 30 }, () => 1_000_000_000));
    // The hold, then its log row in a statement of its own (in production it rides in the order's).
    const stock = new ProductionPathStock({ redis, ledger: pgReservationLedger(db.database), prefix }, db.database);
    await stock.rebuild();
    const keys = storeKeys(stock.prefix, storeId);
    const scripts = new StockScripts({ redis, prefix: stock.prefix, finalRecordTtlMs: 86_400_000 });
    const threeItems = (i: number) =>
      [0, 1, 2].map((k) => ({ productId: products[(i * 7 + k * 11) % products.length]!, quantity: 1 }));
    const sortedItems = (i: number) => threeItems(i).sort((a, b) => (a.productId < b.productId ? -1 : 1));
    // The ceiling's stand-in script takes the reserve script's KEYS and ARGV shape.
    const reserveArgs = (id: string, i: number) => {
      const items = sortedItems(i);
      const args: (string | number)[] = [id, randomUUID(), Date.now() + 600_000, JSON.stringify(items)];
      for (const item of items) args.push(item.productId, item.quantity);
      return args;
    };
    const trivial = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>).stock_bench_trivial!.bind(redis);

    const ceiling = (seconds: number) =>
      measure("ceiling: trivial 4-key EVALSHA", seconds, (i) => {
        const id = `${storeId}.${i}`;
        return trivial(keys.available, keys.reserved, keys.record(id), keys.expiries, ...reserveArgs(id, i));
      });
    const redisOnly = (seconds: number) =>
      measure("reserve script only (no PG)", seconds, (i) => {
        const id = `${storeId}.${randomUUID()}`;
        return scripts.reserve(storeId, id, randomUUID(), sortedItems(i), new Date(Date.now() + 600_000));
      });
    const service = (name: string, s: ProductionPathStock, seconds: number) =>
      measure(name, seconds, async (i) => {
        const r = await s.reserve({ orderId: randomUUID(), storeId, items: threeItems(i), holdSeconds: 600 });
        if (!r.ok) throw new Error(`unexpected failure: ${r.reason}`);
      });

    // What the API does per order: the hold alone; the log row rides in the order's transaction.
    const holdOnly = (seconds: number) =>
      measure("service.holdOnly (log row written in the caller's order transaction)", seconds, async (i) => {
        const { result } = await stock.holdOnly({ orderId: randomUUID(), storeId, items: threeItems(i), holdSeconds: 600 });
        if (!result.ok) throw new Error(`unexpected failure: ${result.reason}`);
      });

    // Warm-up (JIT, pools, script cache), then the measured runs.
    await ceiling(1);
    await redisOnly(1);
    await service("warm-up", stock, 1);
    const rows = [
      await ceiling(SECONDS),
      await redisOnly(SECONDS),
      await holdOnly(SECONDS),
      await service("service.holdOnly + its log row as a statement of its own (OrderWrite.insertReservationLog)", stock, SECONDS),
    ];

    // Oversell check: 64 in flight, 5,000 attempts of 3 items against 1,000 units of each.
    const scarceStore = randomUUID();
    const scarce = await seedProducts(db.prisma, scarceStore, [1000, 1000, 1000]);
    await stock.setOnHand(scarceStore, scarce[0]!, 1000);
    await stock.setOnHand(scarceStore, scarce[1]!, 1000);
    await stock.setOnHand(scarceStore, scarce[2]!, 1000);
    let won = 0;
    let attempts = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (attempts < 5000) {
          attempts += 1;
          const r = await stock.reserve({
            orderId: randomUUID(),
            storeId: scarceStore,
            items: scarce.map((productId) => ({ productId, quantity: 1 })),
            holdSeconds: 600,
          });
          if (r.ok) won += 1;
        }
      }),
    );
    const levels = await Promise.all(scarce.map((p) => stock.getStock(scarceStore, p)));
    const logged = await db.prisma.stockReservationLog.count({ where: { storeId: scarceStore, status: "RESERVED" } });
    const oversellOk =
      won === 1000 && logged === 1000 && levels.every((l) => l?.available === 0 && l.reserved === 1000 && l.onHand === 1000);

    const top = rows[0]!.ops / rows[0]!.seconds;
    console.log(
      `\nstock reserve benchmark: ${IN_FLIGHT} in flight, ${SECONDS}s per row, ${cpus().length} cores, node ${process.version}, ` +
        `autopipelining ${AUTO_PIPELINING ? "on" : "off"}\n`,
    );
    console.log("| run | ops | ops/s | of ceiling | p50 ms | p99 ms |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const r of rows) {
      const rate = r.ops / r.seconds;
      console.log(
        `| ${r.name} | ${r.ops} | ${Math.round(rate)} | ${((rate / top) * 100).toFixed(0)}% | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
      );
    }
    console.log(
      `\noversell check: ${attempts} attempts, ${won} held (expected 1000), ${logged} RESERVED rows, ` +
        `counters ${levels.map((l) => `${l?.available}/${l?.reserved}/${l?.onHand}`).join(" ")} (available/reserved/onHand): ` +
        (oversellOk ? "OK" : "FAILED"),
    );
    if (!oversellOk) process.exitCode = 1;
  } finally {
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await db.drop();
  }
}

await main();
