import type { Db } from "./client.ts";
import type { Prisma } from "./generated/prisma/client.ts";

export type IdempotencyClaim =
  | { state: "NEW" }
  | { state: "REPLAY"; status: number; body: unknown }
  | { state: "MISMATCH" }
  | { state: "IN_USE" };

const TTL_MS = 24 * 60 * 60 * 1000;
/** A claim with no response after this long belongs to a process that died: take it over. */
const ABANDONED_AFTER_MS = 30_000;

export const idempotencyRepository = {
  /** Claims (userId, key) for this request, or says what the first request with that key did. */
  async claim(db: Db, userId: string, key: string, requestHash: string, now: Date): Promise<IdempotencyClaim> {
    const inserted = await db.$executeRaw`
      INSERT INTO p_idempotency_key (user_id, key, request_hash, created_at, expires_at)
      VALUES (${userId}::uuid, ${key}, ${requestHash}, ${now}, ${new Date(now.getTime() + TTL_MS)})
      ON CONFLICT (user_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
            expires_at = EXCLUDED.expires_at, response_status = NULL, response_body = NULL
        WHERE p_idempotency_key.expires_at <= ${now}
           OR (p_idempotency_key.response_status IS NULL
               AND p_idempotency_key.request_hash = EXCLUDED.request_hash
               AND p_idempotency_key.created_at <= ${new Date(now.getTime() - ABANDONED_AFTER_MS)})`;
    if (inserted === 1) return { state: "NEW" };
    const row = await db.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
    if (!row) return { state: "IN_USE" };
    if (row.requestHash !== requestHash) return { state: "MISMATCH" };
    if (row.responseStatus === null) return { state: "IN_USE" };
    return { state: "REPLAY", status: row.responseStatus, body: row.responseBody };
  },

  async complete(db: Db, userId: string, key: string, status: number, body: unknown): Promise<void> {
    await db.idempotencyKey.update({
      where: { userId_key: { userId, key } },
      data: { responseStatus: status, responseBody: body as Prisma.InputJsonValue },
    });
  },

  /** Forgets a claim whose request failed before it changed anything, so a retry may run. */
  async release(db: Db, userId: string, key: string): Promise<void> {
    await db.idempotencyKey.deleteMany({ where: { userId, key, responseStatus: null } });
  },

  async purgeExpired(db: Db, now: Date): Promise<number> {
    const { count } = await db.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  },
};
