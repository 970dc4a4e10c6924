import { createMiddleware } from "hono/factory";
import type { Redis, Cluster } from "ioredis";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute window per authenticated user, counted in Redis so every API process
 * shares it. When Redis is unreachable the limit is skipped (fail open): the request fails
 * on its own Redis use if it needs Redis at all.
 */
export function rateLimit({ redis, prefix, perMinute }: { redis: Redis | Cluster; prefix: string; perMinute: number }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const userId = c.get("actor")?.userId;
    if (perMinute <= 0 || !userId || redis.status !== "ready") return next();
    const window = Math.floor(Date.now() / WINDOW_MS);
    const key = `${prefix}rl:{${userId}}:${window}`;
    let count = 0;
    try {
      const res = await redis.multi().incr(key).pexpire(key, WINDOW_MS).exec();
      count = Number(res?.[0]?.[1] ?? 0);
    } catch (err) {
      c.get("log").warn({ err }, "rate limit check skipped: Redis unavailable");
      return next();
    }
    c.header("RateLimit-Limit", String(perMinute));
    c.header("RateLimit-Remaining", String(Math.max(0, perMinute - count)));
    if (count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - Date.now()) / 1000));
      throw new ApiProblem("RATE_LIMITED", `More than ${perMinute} requests in a minute`, {
        headers: { "Retry-After": String(retryAfter) },
      });
    }
    return next();
  });
}
