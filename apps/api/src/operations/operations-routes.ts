import { Hono } from "hono";
import type { Cluster, Redis } from "ioredis";
import { pingDatabase, type Database } from "@order-flow/db";
import type { AppEnv } from "../context.ts";
import type { ApiMetrics } from "../metrics.ts";
import { redisIsReady } from "../middleware/require-redis.ts";
import { problemBody } from "../problem.ts";

const PROBE_TIMEOUT_MS = 1_000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), PROBE_TIMEOUT_MS).unref()),
  ]);
}

export function operationsRoutes(deps: { db: Database; redis: Redis | Cluster; metrics: ApiMetrics }) {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }, 200));
  app.get("/readyz", async (c) => {
    const [redis, postgres] = await Promise.all([
      // A client that is not connected is down now: no need to wait for a ping to fail.
      redisIsReady(deps.redis) ? withTimeout(deps.redis.ping()).then(() => true, () => false) : Promise.resolve(false),
      withTimeout(pingDatabase(deps.db)).then(() => true, () => false),
    ]);
    if (redis && postgres) return c.json({ status: "ready", redis: "up", postgres: "up" }, 200);
    const down = [!redis && "Redis", !postgres && "PostgreSQL"].filter(Boolean).join(" and ");
    return c.body(
      JSON.stringify({
        ...problemBody("SERVICE_UNAVAILABLE", `${down} unreachable`, c.get("requestId")),
        redis: redis ? "up" : "down",
        postgres: postgres ? "up" : "down",
      }),
      503,
      { "Content-Type": "application/problem+json", "Retry-After": "1" },
    );
  });
  app.get("/metrics", async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { "Content-Type": deps.metrics.registry.contentType }),
  );
  return app;
}
