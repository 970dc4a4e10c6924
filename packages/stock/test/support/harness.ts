import { pgReservationLedger } from "@order-flow/db";
import { createTestDatabase, type TestDatabase } from "@order-flow/db/testing";
import type { Redis } from "ioredis";
import type { RedisStockReservationServiceOptions } from "../../src/redis-stock-reservation-service.ts";
import { ProductionPathStock } from "./production-path.ts";
import { deleteKeys, newRedis, testPrefix } from "./redis.ts";

export type Harness = {
  db: TestDatabase;
  redis: Redis;
  /** A fresh key prefix, remembered for cleanup. */
  prefix: () => string;
  /** A service on a fresh prefix unless one is given. */
  service: (options?: Partial<RedisStockReservationServiceOptions>) => ProductionPathStock;
  /** Deletes this test's keys and empties the stock tables (tests in a file run one after another). */
  reset: () => Promise<void>;
  close: () => Promise<void>;
};

/** One PostgreSQL database per test file, one Redis key prefix per test. */
export async function openHarness(): Promise<Harness> {
  const db = await createTestDatabase();
  const redis = newRedis();
  const prefixes: string[] = [];
  const prefix = () => {
    const p = testPrefix();
    prefixes.push(p);
    return p;
  };
  const reset = async () => {
    for (const p of prefixes.splice(0)) await deleteKeys(redis, p);
    await db.prisma.$executeRawUnsafe("TRUNCATE p_stock_reservation_log, p_product, p_order CASCADE");
  };
  return {
    db,
    redis,
    prefix,
    service: (options = {}) =>
      new ProductionPathStock(
        { redis, ledger: pgReservationLedger(db.database), prefix: options.prefix ?? prefix(), ...options },
        db.database,
      ),
    reset,
    close: async () => {
      await reset();
      redis.disconnect();
      await db.drop();
    },
  };
}
