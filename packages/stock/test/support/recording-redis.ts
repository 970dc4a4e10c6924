import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { StockScripts } from "../../src/stock-scripts.ts";

export type ScriptCall = { command: string; keys: string[]; args: unknown[] };

/**
 * A stand-in connection for the scripts object: it takes `defineCommand` like ioredis and
 * records each call's KEYS and ARGV instead of running the script. Every call answers
 * `reply`, enough for the replies to decode.
 */
export function recordingRedis(reply: unknown = [0, "", 0, 0]): { redis: Redis; calls: ScriptCall[] } {
  const calls: ScriptCall[] = [];
  const client: Record<string, unknown> = {
    defineCommand(command: string, { numberOfKeys }: { numberOfKeys: number }) {
      client[command] = async (...params: unknown[]) => {
        calls.push({ command, keys: params.slice(0, numberOfKeys) as string[], args: params.slice(numberOfKeys) });
        return reply;
      };
    },
  };
  return { redis: client as unknown as Redis, calls };
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
