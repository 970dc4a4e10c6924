import { randomUUID } from "node:crypto";
import { Redis, type Cluster } from "ioredis";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function newRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
}

/** Every test gets its own key prefix on the shared server. */
export function testPrefix(): string {
  return `test:${randomUUID()}:`;
}

/** SCAN + UNLINK everything under a prefix (never FLUSHALL/FLUSHDB on the shared server). */
export async function deleteKeys(redis: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = "nodes" in redis && typeof redis.nodes === "function" ? (redis as Cluster).nodes("master") : [redis as Redis];
  let deleted = 0;
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      // One UNLINK per key: in a Cluster, keys of one call must share a slot.
      for (const key of keys) deleted += await node.unlink(key);
    } while (cursor !== "0");
  }
  return deleted;
}

export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found;
}
