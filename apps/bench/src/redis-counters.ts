// What Redis did for a benchmark: commands (script-internal ones included, as INFO
// commandstats counts them) and CPU seconds, read from the server's own counters.
import { Redis } from "ioredis";

export type RedisSnapshot = { cpuSeconds: number; calls: Map<string, number>; clients: number };

export async function redisSnapshot(url: string): Promise<RedisSnapshot> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const [cpu, stats, clients] = await Promise.all([redis.info("cpu"), redis.info("commandstats"), redis.info("clients")]);
    const field = (text: string, name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(text)?.[1] ?? NaN);
    const calls = new Map<string, number>();
    for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1]!, Number(m[2]));
    return {
      cpuSeconds: field(cpu, "used_cpu_sys") + field(cpu, "used_cpu_user"),
      calls,
      clients: field(clients, "connected_clients"),
    };
  } finally {
    redis.disconnect();
  }
}

export type RedisCost = {
  cpuMsPerOrder: number;
  commandsPerOrder: number;
  /** every command, per order, most frequent first */
  top: [string, number][];
};

/** The difference of two snapshots, per order. The INFO calls themselves are left out. */
export function redisCostPerOrder(before: RedisSnapshot, after: RedisSnapshot, orders: number): RedisCost {
  const n = Math.max(1, orders);
  const delta: [string, number][] = [];
  for (const [name, calls] of after.calls) {
    if (name === "info") continue;
    const d = calls - (before.calls.get(name) ?? 0);
    if (d > 0) delta.push([name, d / n]);
  }
  delta.sort((a, b) => b[1] - a[1]);
  return {
    cpuMsPerOrder: (1000 * (after.cpuSeconds - before.cpuSeconds)) / n,
    commandsPerOrder: delta.reduce((sum, [, d]) => sum + d, 0),
    top: delta,
  };
}
