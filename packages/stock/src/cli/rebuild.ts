// `pnpm stock:rebuild`: replaces the Redis stock state with what PostgreSQL says.
// Meant for a Redis that lost its data, or with traffic stopped (see ../../README.md).
import { createStockService } from "../create-stock-service.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

const handle = createStockService({
  databaseUrl: required("DATABASE_URL"),
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  prefix: process.env.REDIS_PREFIX ?? "of",
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
