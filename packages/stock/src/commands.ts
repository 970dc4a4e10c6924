import { readdirSync, readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import type { ConfirmCode, DeferCode, ReleaseCode, ReserveCode, SetOnHandCode, UnlockCode } from "./script-codes.ts";

export type RedisClient = Redis | Cluster;

const LUA_DIR = new URL("./lua/", import.meta.url);

// Command names carry a version so two releases sharing one connection never mix scripts.
const VERSION = "1";

/**
 * The scripts as typed methods taking raw KEYS and ARGV; stock-scripts.ts packs them. Every
 * call is EVALSHA; ioredis reloads on NOSCRIPT.
 */
export type StockCommands = {
  reserve(keys: [string, string, string, string], args: (string | number)[]): Promise<[ReserveCode, string, number, number]>;
  confirm(keys: [string, string, string], args: [string, number]): Promise<ConfirmCode>;
  release(keys: [string, string, string, string], args: [string, number, "ANY" | "HELD_ONLY", string]): Promise<[ReleaseCode, string]>;
  defer(keys: [string, string], args: [string, number]): Promise<DeferCode>;
  setOnHand(keys: [string, string], args: [string, number, string]): Promise<[SetOnHandCode, number]>;
  getStock(keys: [string, string], args: [string]): Promise<[number, number]>;
  rebuildStore(keys: [string, string, string, string], args: (string | number)[]): Promise<[number, number]>;
  unlock(keys: [string], args: [string]): Promise<UnlockCode>;
};

type ScriptFile = { file: string; name: string; numberOfKeys: number; lua: string };

/** `reserve-4.lua` -> command `reserve`, 4 keys (the bullmq naming habit). */
function readScripts(): ScriptFile[] {
  return readdirSync(LUA_DIR)
    .filter((file) => file.endsWith(".lua"))
    .map((file) => {
      const match = /^(.+)-(\d+)\.lua$/.exec(file);
      if (!match?.[1] || !match[2]) throw new Error(`Lua script name without key count: ${file}`);
      const name = match[1].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      return { file, name, numberOfKeys: Number(match[2]), lua: readFileSync(new URL(file, LUA_DIR), "utf8") };
    });
}

let scripts: ScriptFile[] | undefined;
const loaded = new WeakMap<RedisClient, StockCommands>();

function commandName(name: string): string {
  return `stock_${name}_v${VERSION}`;
}

/** Defines the scripts once per connection and returns them as typed functions. */
export function stockCommands(redis: RedisClient): StockCommands {
  const existing = loaded.get(redis);
  if (existing) return existing;
  scripts ??= readScripts();
  const target = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const bound: Record<string, unknown> = {};
  for (const script of scripts) {
    const name = commandName(script.name);
    if (typeof target[name] !== "function") {
      redis.defineCommand(name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    }
    bound[script.name] = (keys: string[], args: unknown[]) => target[name]!.call(redis, ...keys, ...args);
  }
  for (const name of ["reserve", "confirm", "release", "defer", "setOnHand", "getStock", "rebuildStore", "unlock"]) {
    if (!bound[name]) throw new Error(`missing Lua script for ${name}`);
  }
  const commands = bound as StockCommands;
  loaded.set(redis, commands);
  return commands;
}

/** The script files, for tests (slot checks) and the benchmark. */
export function stockScriptFiles(): { file: string; numberOfKeys: number }[] {
  scripts ??= readScripts();
  return scripts.map(({ file, numberOfKeys }) => ({ file, numberOfKeys }));
}
