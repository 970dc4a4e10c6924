import { createHash, randomUUID } from "node:crypto";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Cluster, Redis } from "ioredis";
import { ABANDONED_AFTER_MS, idempotencyRepository, type Database, type StoredIdempotentResponse } from "@order-flow/db";
import type { AppEnv } from "../context.ts";
import { ApiProblem, problemResponse } from "../problem.ts";
import { idempotencyClaims } from "./idempotency-claims.ts";
import type { HeldIdempotencyKey, IdempotencyGate } from "./idempotency-gate.ts";

/** How long a twin request waits for the first one with its Idempotency-Key. */
const WAIT_MS = 5_000;
const POLL_MS = 50;
const MAX_KEY_LENGTH = 255;

/**
 * The Idempotency-Key protocol (API.md, POST /orders) for a POST that opts in. The claim of
 * a running request lives in Redis (one round trip); the answer lives in PostgreSQL, stored
 * by the route's own statement (atomic with its work) or, if the route has none, by this
 * middleware after the route answered. A request that fails before storing anything gives its
 * claim back, so a retry runs at once.
 */
export function idempotency(deps: {
  redis: Redis | Cluster;
  prefix: string;
  db: Database;
  now?: () => Date;
  /** a claim with no answer after this long is given up, and a retry runs (default 30 s) */
  abandonedAfterMs?: number;
}) {
  const now = deps.now ?? (() => new Date());
  const claims = idempotencyClaims({ redis: deps.redis, prefix: deps.prefix, abandonedAfterMs: deps.abandonedAfterMs ?? ABANDONED_AFTER_MS });
  const { db } = deps;

  /** The stored answer, or 422 when it answered another request. */
  const replay = (c: Context<AppEnv>, stored: StoredIdempotentResponse, requestHash: string) => {
    if (stored.requestHash !== requestHash && stored.requestHash !== bodyOnlyHashOf(c)) {
      throw new ApiProblem("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request");
    }
    // c.body keeps the headers middleware already set (request id, rate limit).
    return c.body(JSON.stringify(stored.body), stored.status as 200, {
      "Content-Type": stored.status >= 400 ? "application/problem+json" : "application/json",
      "Idempotent-Replayed": "true",
    });
  };

  /**
   * A request refused before its work (the catalog's 422, say) whose key was answered already:
   * its claim in Redis had expired, so nothing was read up front. The key comes first (API.md's
   * order), so the stored answer, or 422 IDEMPOTENCY_KEY_REUSED, replaces the refusal.
   */
  const answerStoredFirst = async (c: Context<AppEnv>, held: HeldIdempotencyKey) => {
    const stored = await idempotencyRepository.find(db, held.userId, held.key, now()).catch(() => null);
    if (!stored) return;
    try {
      c.res = replay(c, stored, held.requestHash);
    } catch (err) {
      if (!(err instanceof ApiProblem)) throw err;
      c.res = problemResponse(c, err);
    }
  };

  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header("idempotency-key");
    let held: HeldIdempotencyKey | undefined;
    let settled = false;
    const gate: IdempotencyGate = {
      async start() {
        if (key === undefined) return { kind: "NONE" };
        const userId = c.get("actor").userId;
        if (!userId) throw new Error("an Idempotency-Key is scoped to a user: the route must be authenticated");
        const requestHash = hashOf(c, userId);
        const owner = randomUUID();
        const deadline = Date.now() + WAIT_MS;
        for (;;) {
          const holder = await claims.take(userId, key, owner, requestHash);
          if (holder === null) break;
          // Someone claimed the key lately: it is answered, or running.
          const stored = await idempotencyRepository.find(db, userId, key, now());
          if (stored) {
            settled = true;
            return { kind: "REPLAY", response: replay(c, stored, requestHash) };
          }
          if (holder.requestHash !== requestHash) {
            throw new ApiProblem("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request");
          }
          if (Date.now() >= deadline) {
            throw new ApiProblem("IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still running");
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        held = { userId, key, owner, requestHash, at: now() };
        return { kind: "CLAIMED", claim: held };
      },
      stored() {
        settled = true;
      },
      async replayStored() {
        settled = true;
        if (!held) throw new Error("no Idempotency-Key was claimed for this request");
        const stored = await idempotencyRepository.find(db, held.userId, held.key, now());
        // Only a claim row of the previous version, still running, has no answer yet.
        if (!stored) throw new ApiProblem("IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still running");
        return replay(c, stored, held.requestHash);
      },
    };
    if (key !== undefined && (key.length < 1 || key.length > MAX_KEY_LENGTH)) {
      throw new ApiProblem("VALIDATION_FAILED", "The request is not valid", {
        errors: [{ path: "idempotency-key", message: `must be 1–${MAX_KEY_LENGTH} characters` }],
      });
    }
    c.set("idempotency", gate);
    await next();
    if (!held || settled) return;
    const { status } = c.res;
    if (c.error || status >= 500) {
      // Nothing was kept: let a retry with the same key run again.
      await claims.release(held.userId, held.key, held.owner, held.requestHash).catch(() => {});
      if (status < 500) await answerStoredFirst(c, held);
      return;
    }
    // A route with no statement of its own to store its answer in: stored after the fact.
    const body: unknown = await c.res.clone().json().catch(() => null);
    await idempotencyRepository.record(db, { ...held, status, body }).catch((err: unknown) => {
      c.get("log").warn({ err: String(err) }, "idempotent answer not stored; a retry with the key runs again");
    });
  });
}

/** The body as the route validated it (schema order, UUIDs in lower case): the same request, however it was spelt. */
function validBody(c: Context<AppEnv>): unknown {
  return (c.req as unknown as { valid(target: "json"): unknown }).valid("json");
}

/** The request the key stands for: the user, the method, the path and the validated body. */
function hashOf(c: Context<AppEnv>, userId: string): string {
  return idempotencyRequestHash(userId, c.req.method, c.req.path, validBody(c));
}

/**
 * The hash the previous release stored (POST /orders' body alone): its answers stay
 * replayable for the 24 h they are kept, rather than turning into 422 after a deploy.
 * Remove once no stored answer is older than this release.
 */
function bodyOnlyHashOf(c: Context<AppEnv>): string {
  return createHash("sha256").update(JSON.stringify(validBody(c))).digest("hex");
}

export function idempotencyRequestHash(userId: string, method: string, path: string, body: unknown): string {
  return createHash("sha256").update(JSON.stringify([userId, method, path, body ?? null])).digest("hex");
}
