import type { IdempotentAnswer } from "@order-flow/domain";
import { runCount, runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

/**
 * The response to one Idempotency-Key, stored by the statement that does the request's work
 * (OrderWrite.completeIdempotencyClaim) or, for a request without one, by `record`. Inserting
 * it is that statement's gate: PostgreSQL's unique key on (user, key) decides which of two
 * twins did the work, whatever happened to the in-flight claim in Redis.
 */
export type IdempotencyCompletion = IdempotentAnswer;

/** What the request that stored an answer for (user, key) did. */
export type StoredIdempotentResponse = { requestHash: string; status: number; body: unknown };

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * An in-flight claim with no answer after this long is given up: its request probably died,
 * and a retry runs. If it was only slow, whichever of the two stores its answer first wins
 * (the unique key), and the other writes nothing and answers the same.
 */
export const ABANDONED_AFTER_MS = 30_000;

/**
 * The INSERT that stores an answer, as a gate: RETURNING a row only when the answer was stored.
 * An expired record (past its 24 h, not yet purged) is replaced; so is a claim row without an
 * answer left abandoned by a process of the previous version (which claimed in PostgreSQL).
 */
export function storeAnswerSql(p: SqlParams, c: IdempotencyCompletion, onlyIf = ""): string {
  const at = p.add(c.at, "timestamptz");
  return `INSERT INTO p_idempotency_key
      (user_id, key, request_hash, owner_token, response_status, response_body, created_at, expires_at)
    SELECT ${p.add(c.userId, "uuid")}, ${p.add(c.key, "text")}, ${p.add(c.requestHash, "text")}, ${p.add(c.owner, "uuid")},
      ${p.add(c.status, "int")}, ${p.json(c.body)}, ${at}, ${p.add(new Date(c.at.getTime() + IDEMPOTENCY_TTL_MS), "timestamptz")}
    ${onlyIf}
    ON CONFLICT (user_id, key) DO UPDATE
      SET request_hash = EXCLUDED.request_hash, owner_token = EXCLUDED.owner_token,
          response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body,
          created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
      WHERE p_idempotency_key.expires_at <= EXCLUDED.created_at
         OR (p_idempotency_key.response_status IS NULL
             AND p_idempotency_key.created_at <= EXCLUDED.created_at - ${p.add(ABANDONED_AFTER_MS, "int")} * interval '1 millisecond')
    RETURNING 1`;
}

export const idempotencyRepository = {
  /** The live answer stored for (userId, key), or null: none yet (or only a claim of the previous version). */
  async find(db: SqlTarget, userId: string, key: string, now: Date): Promise<StoredIdempotentResponse | null> {
    const p = new SqlParams();
    const [row] = await runStatement<{ requestHash: string; status: number; body: unknown }>(
      db,
      `SELECT request_hash AS "requestHash", response_status AS status, response_body AS body
       FROM p_idempotency_key
       WHERE user_id = ${p.add(userId, "uuid")} AND key = ${p.add(key, "text")}
         AND expires_at > ${p.add(now, "timestamptz")} AND response_status IS NOT NULL`,
      p,
    );
    return row ?? null;
  },

  /**
   * Stores an answer on its own, for a request whose work had no statement to carry it.
   * False: an answer was already stored for the key (a twin's), and this one was not.
   */
  async record(db: SqlTarget, completion: IdempotencyCompletion): Promise<boolean> {
    const p = new SqlParams();
    return (await runCount(db, storeAnswerSql(p, completion), p)) === 1;
  },

  async purgeExpired(db: SqlTarget, now: Date): Promise<number> {
    const p = new SqlParams();
    return runCount(db, `DELETE FROM p_idempotency_key WHERE expires_at <= ${p.add(now, "timestamptz")}`, p);
  },
};
