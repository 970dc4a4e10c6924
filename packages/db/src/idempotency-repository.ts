import { randomUUID } from "node:crypto";
import type { Db } from "./client.ts";

export type IdempotencyClaim =
  /** this request holds the claim; `owner` is its token, needed to store the response */
  | { state: "NEW"; owner: string }
  | { state: "REPLAY"; status: number; body: unknown }
  | { state: "MISMATCH" }
  | { state: "IN_USE" };

/**
 * The response of the request that holds a claim, stored by the order's own statement
 * (OrderWrite.completeIdempotencyClaim) only while `owner` still holds the claim.
 */
export type IdempotencyCompletion = { userId: string; key: string; owner: string; status: number; body: unknown };

const TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A claim with no response after this long is taken over by a twin: its first request
 * probably died. If it was only slow, its write finds the claim no longer its own and
 * makes no order (the owner token), so a takeover never doubles an order.
 */
export const ABANDONED_AFTER_MS = 30_000;

export const idempotencyRepository = {
  /** Claims (userId, key) for this request, or says what the first request with that key did. */
  async claim(
    db: Db,
    userId: string,
    key: string,
    requestHash: string,
    now: Date,
    options: { abandonedAfterMs?: number } = {},
  ): Promise<IdempotencyClaim> {
    const owner = randomUUID();
    const abandonedBefore = new Date(now.getTime() - (options.abandonedAfterMs ?? ABANDONED_AFTER_MS));
    const inserted = await db.$executeRaw`
      INSERT INTO p_idempotency_key (user_id, key, request_hash, owner_token, created_at, expires_at)
      VALUES (${userId}::uuid, ${key}, ${requestHash}, ${owner}::uuid, ${now}, ${new Date(now.getTime() + TTL_MS)})
      ON CONFLICT (user_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, owner_token = EXCLUDED.owner_token,
            created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
            response_status = NULL, response_body = NULL
        WHERE p_idempotency_key.expires_at <= ${now}
           OR (p_idempotency_key.response_status IS NULL
               AND p_idempotency_key.request_hash = EXCLUDED.request_hash
               AND p_idempotency_key.created_at <= ${abandonedBefore})`;
    if (inserted === 1) return { state: "NEW", owner };
    return idempotencyRepository.find(db, userId, key, requestHash);
  },

  /**
   * What the request holding (userId, key) answered, without claiming anything: for a request
   * that lost its claim to a takeover. A claim still running, or gone, is IN_USE.
   */
  async find(db: Db, userId: string, key: string, requestHash: string): Promise<Exclude<IdempotencyClaim, { state: "NEW" }>> {
    const row = await db.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
    if (!row) return { state: "IN_USE" };
    if (row.requestHash !== requestHash) return { state: "MISMATCH" };
    if (row.responseStatus === null) return { state: "IN_USE" };
    return { state: "REPLAY", status: row.responseStatus, body: row.responseBody };
  },

  /** Forgets this request's claim when it failed before it changed anything, so a retry may run. */
  async release(db: Db, userId: string, key: string, owner: string): Promise<void> {
    await db.idempotencyKey.deleteMany({ where: { userId, key, ownerToken: owner, responseStatus: null } });
  },

  async purgeExpired(db: Db, now: Date): Promise<number> {
    const { count } = await db.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  },
};
