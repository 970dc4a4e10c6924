import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { StockScripts } from "../../src/stock-scripts.ts";

export type ScriptCall = { command: string; keys: string[]; args: unknown[] };

/**
 * A real connection (a fresh one, so the scripts are defined on it here) whose script calls
 * are recorded on their way to Redis: a test sees the KEYS and ARGV the scripts object packs,
 * and Redis runs each call for real.
 */
export function recordingRedis(real: Redis): { redis: Redis; calls: ScriptCall[] } {
  const calls: ScriptCall[] = [];
  const keyCounts = new Map<string, number>();
  const redis = new Proxy(real, {
    get(target, property) {
      if (property === "defineCommand") {
        return (command: string, definition: { numberOfKeys: number; lua: string }) => {
          keyCounts.set(command, definition.numberOfKeys);
          target.defineCommand(command, definition);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const numberOfKeys = typeof property === "string" ? keyCounts.get(property) : undefined;
      if (numberOfKeys === undefined) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...params: unknown[]) => {
        calls.push({ command: property as string, keys: params.slice(0, numberOfKeys) as string[], args: params.slice(numberOfKeys) });
        return (value as (...a: unknown[]) => unknown).apply(target, params);
      };
    },
  });
  return { redis, calls };
}

/** `stock_setOnHand_v1` -> `set-on-hand`, the script file's stem. */
export function scriptOf(command: string): string {
  const name = /^stock_(.+)_v\d+$/.exec(command)?.[1] ?? command;
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Calls every script once through the scripts object, for one store and reservation. */
export async function callEveryScript(scripts: StockScripts, storeId: string, reservationId: string): Promise<void> {
  const productId = randomUUID();
  const items = [{ productId, quantity: 2 }];
  const expiresAt = new Date(1_700_000_000_000);
  await scripts.reserve(storeId, reservationId, randomUUID(), items, expiresAt);
  await scripts.confirm(storeId, reservationId);
  await scripts.release(storeId, reservationId, "ANY", items);
  await scripts.defer(storeId, reservationId, expiresAt.getTime());
  await scripts.getStock(storeId, productId);
  await scripts.setOnHand(storeId, productId, 5, null);
  await scripts.rebuildStore(storeId, [{ productId, available: 3 }], [{ reservationId, orderId: randomUUID(), products: items, expiresAt }]);
  await scripts.unlockRebuild(randomUUID());
}
