import { createMiddleware } from "hono/factory";
import type { Cluster, Redis } from "ioredis";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";

/** True while the client has a live connection; during an outage it reconnects in the background. */
export function redisIsReady(redis: Redis | Cluster): boolean {
  return redis.status === "ready";
}

/**
 * Routes that must touch stock answer 503 at once while Redis is down, before any other work
 * (a catalog read, a transaction) makes the client wait for an answer that cannot come.
 */
export function requireRedis({ redis }: { redis: Redis | Cluster }) {
  return createMiddleware<AppEnv>(async (_c, next) => {
    if (!redisIsReady(redis)) {
      throw new ApiProblem("SERVICE_UNAVAILABLE", "Redis is unreachable; retry later", {
        headers: { "Retry-After": "1" },
      });
    }
    await next();
  });
}
