// `pnpm stock:rebuild`: replaces the Redis stock state with what PostgreSQL says.
// Meant for a Redis that lost its data, or with traffic stopped (see ../../README.md).
import { loadEnv } from "@order-flow/config";
import { createStockService } from "../create-stock-service.ts";

const env = loadEnv();
const handle = createStockService({
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  ...(env.REDIS_CLUSTER_NODES ? { redisClusterNodes: env.REDIS_CLUSTER_NODES } : {}),
  prefix: env.REDIS_PREFIX,
});

try {
  const started = Date.now();
  const summary = await handle.service.rebuild();
  console.log(
    `stock rebuilt: ${summary.stores} stores, ${summary.products} products, ${summary.holds} live holds in ${Date.now() - started} ms`,
  );
} catch (error) {
  console.error("stock rebuild failed:", error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
