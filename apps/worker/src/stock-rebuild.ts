// `pnpm stock:rebuild`: replaces the Redis stock state with what PostgreSQL says.
// Meant for a Redis that lost its data, or with traffic stopped (packages/stock/README.md).
import { loadEnv } from "@order-flow/config";
import { createDatabase, pgReservationLedger } from "@order-flow/db";
import { createRedisClient } from "@order-flow/queues";
import { RedisStockReservationService } from "@order-flow/stock";

const env = loadEnv();
const redis = createRedisClient({ url: env.REDIS_URL, clusterNodes: env.REDIS_CLUSTER_NODES, role: "stock", name: "stock-rebuild" });
const db = createDatabase({ databaseUrl: env.DATABASE_URL, poolSize: 5 });
const stock = new RedisStockReservationService({ redis, ledger: pgReservationLedger(db), prefix: env.REDIS_PREFIX });

try {
  const started = Date.now();
  const summary = await stock.rebuild();
  console.log(
    `stock rebuilt: ${summary.stores} stores, ${summary.products} products, ${summary.holds} live holds in ${Date.now() - started} ms`,
  );
} catch (error) {
  console.error("stock rebuild failed:", error);
  process.exitCode = 1;
} finally {
  await db.close();
  redis.disconnect();
}
