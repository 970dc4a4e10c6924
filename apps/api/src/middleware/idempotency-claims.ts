import type { Cluster, Redis } from "ioredis";

/** A claim held by another request: the hash of what it asked. */
export type ClaimHolder = { requestHash: string };

// Deletes the claim only if it is still the caller's (a twin may hold it by now).
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** The Redis key of the claim on (userId, key); the user's id is the cluster hash tag. */
export function idempotencyClaimKey(prefix: string, userId: string, key: string): string {
  return `${prefix}idem:{${userId}}:${key}`;
}

/**
 * In-flight Idempotency-Key claims in Redis, one key per (user, key) that lives as long as a
 * request may run (the abandonment time): a request that dies leaves a claim that expires on
 * its own. A claim only keeps twins waiting; the stored answer in PostgreSQL decides.
 */
export function idempotencyClaims({ redis, prefix, abandonedAfterMs }: { redis: Redis | Cluster; prefix: string; abandonedAfterMs: number }) {
  const keyOf = (userId: string, key: string) => idempotencyClaimKey(prefix, userId, key);
  const valueOf = (owner: string, requestHash: string) => `${owner} ${requestHash}`;
  return {
    /** Claims (userId, key) in one round trip; null when it is now the caller's, else who holds it. */
    async take(userId: string, key: string, owner: string, requestHash: string): Promise<ClaimHolder | null> {
      const held = await redis.set(keyOf(userId, key), valueOf(owner, requestHash), "PX", abandonedAfterMs, "NX", "GET");
      if (held === null) return null;
      return { requestHash: held.slice(held.indexOf(" ") + 1) };
    },

    /** Gives the claim up (the request answered without storing anything), so a retry runs at once. */
    async release(userId: string, key: string, owner: string, requestHash: string): Promise<void> {
      await redis.eval(RELEASE, 1, keyOf(userId, key), valueOf(owner, requestHash));
    },
  };
}

export type IdempotencyClaims = ReturnType<typeof idempotencyClaims>;
