import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { Cluster, Redis } from "ioredis";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";

export type AuthFailureOptions = {
  redis: Redis | Cluster;
  prefix: string;
  /** failures allowed per address per window (AUTH_FAILURE_LIMIT); 0 turns the limit off */
  limit: number;
  windowSeconds: number;
};

/** The caller's socket address ("unknown" when there is no socket, as under app.request()). */
export function clientAddress(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Failed authentications per client address, in a fixed window counted in Redis so that every
 * API process shares it. Past the limit an address gets 429 RATE_LIMITED with Retry-After
 * instead of 401. Redis unreachable: not counted (fail open), as the request rate limit does.
 */
export function authFailures(options: AuthFailureOptions) {
  const { redis, prefix, limit, windowSeconds } = options;
  const windowMs = windowSeconds * 1000;
  const keyOf = (address: string, window: number) => `${prefix}af:{${address}}:${window}`;
  const rateLimited = (window: number) => {
    const retryAfter = Math.max(1, Math.ceil(((window + 1) * windowMs - Date.now()) / 1000));
    return new ApiProblem("RATE_LIMITED", `Too many failed authentications from this address; retry in ${retryAfter} s`, {
      headers: { "Retry-After": String(retryAfter) },
    });
  };
  const off = limit <= 0;

  return {
    /** Throws 429 when the address is already past the limit (checked before a guessable password). */
    async assertNotBlocked(c: Context<AppEnv>): Promise<void> {
      if (off || redis.status !== "ready") return;
      const window = Math.floor(Date.now() / windowMs);
      const count = Number(await redis.get(keyOf(clientAddress(c), window)).catch(() => 0));
      if (count >= limit) throw rateLimited(window);
    },

    /** Counts a failed authentication; returns the problem to answer: 401 as given, or 429 past the limit. */
    async failed(c: Context<AppEnv>, problem: ApiProblem): Promise<ApiProblem> {
      if (off || redis.status !== "ready") return problem;
      const window = Math.floor(Date.now() / windowMs);
      const key = keyOf(clientAddress(c), window);
      try {
        const res = await redis.multi().incr(key).pexpire(key, windowMs).exec();
        const count = Number(res?.[0]?.[1] ?? 0);
        return count > limit ? rateLimited(window) : problem;
      } catch (err) {
        c.get("log").warn({ err }, "failed-authentication count skipped: Redis unavailable");
        return problem;
      }
    },
  };
}

export type AuthFailures = ReturnType<typeof authFailures>;
