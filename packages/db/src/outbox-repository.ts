import type { DomainEvent } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { inPgTransaction } from "./pg-transaction.ts";
import { runCount, runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

export type OutboxRow = {
  id: string;
  eventType: string;
  payload: DomainEvent;
  availableAt: Date;
  /** the order's number, for naming its job (null if the order row is gone) */
  orderNumber: string | null;
  /** W3C trace context of the write that raised the event (JSON), null when it was not traced */
  traceContext: string | null;
};

/** Advisory lock key of the relay pass: one active relay at a time across all processes. */
const RELAY_LOCK_KEY = 0x6f75_7462; // "outb"

export const outboxRepository = {
  /**
   * Takes up to `limit` unsent rows, if no relay in another process holds the relay lock
   * (0 otherwise); `publish` runs while the lock is held and the rows are marked sent in
   * the same transaction, so a crash just leaves them for the next pass.
   */
  async relayBatch(
    db: Database,
    limit: number,
    publish: (rows: OutboxRow[]) => Promise<void>,
    /** rows committed less than this long ago are left to the process that committed them */
    graceMs = 0,
  ): Promise<number> {
    return inPgTransaction(db, async (client) => {
      const lockParams = new SqlParams();
      const lock = await runStatement<{ locked: boolean }>(
        client,
        `SELECT pg_try_advisory_xact_lock(${lockParams.add(RELAY_LOCK_KEY, "bigint")}) AS locked`,
        lockParams,
      );
      if (lock[0]?.locked !== true) return 0;
      const take = new SqlParams();
      const rows = await runStatement<{
        id: string;
        event_type: string;
        payload: DomainEvent;
        available_at: Date;
        order_number: string | null;
        trace_context: string | null;
      }>(
        client,
        `SELECT e.id, e.event_type, e.payload, e.available_at, e.trace_context,
           (SELECT o.order_number FROM p_order o WHERE o.id = e.order_id) AS order_number
         FROM p_outbox_event e
         WHERE e.sent_at IS NULL AND e.recorded_at <= now() - make_interval(secs => ${take.add(graceMs, "float8")} / 1000)
         ORDER BY e.created_at LIMIT ${take.add(limit, "int")} FOR UPDATE OF e SKIP LOCKED`,
        take,
      );
      if (rows.length === 0) return 0;
      await publish(
        rows.map((r) => ({
          id: r.id,
          eventType: r.event_type,
          payload: r.payload,
          availableAt: r.available_at,
          orderNumber: r.order_number,
          traceContext: r.trace_context,
        })),
      );
      const sent = new SqlParams();
      await runStatement(
        client,
        `UPDATE p_outbox_event SET sent_at = now() WHERE id = ANY(${sent.add(rows.map((r) => r.id), "uuid[]")})`,
        sent,
      );
      return rows.length;
    });
  },

  /**
   * Marks rows sent that the committing process has put in the queues itself (one UPDATE per
   * batch). Rows it never marks (it died first) are published again by the relay: the jobs
   * collapse on jobId = eventId.
   */
  async markSent(db: Database, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const params = new SqlParams();
    await runStatement(
      db,
      `UPDATE p_outbox_event SET sent_at = now() WHERE id = ANY(${params.add(ids, "uuid[]")}) AND sent_at IS NULL`,
      params,
    );
  },

  /**
   * Marks events relayed since `since` as unsent again, so the relay publishes them anew:
   * used when Redis lost the jobs they had become. Handlers are idempotent, so an event
   * whose job had already run changes nothing the second time.
   */
  async requeueSentSince(db: SqlTarget, since: Date): Promise<number> {
    const params = new SqlParams();
    return runCount(db, `UPDATE p_outbox_event SET sent_at = NULL WHERE sent_at >= ${params.add(since, "timestamptz")}`, params);
  },

  /** The trace context of an order's first traced event (its creation): the order's trace. */
  async orderTraceContext(db: Database, orderId: string): Promise<string | null> {
    const params = new SqlParams();
    const rows = await runStatement<{ trace_context: string }>(
      db,
      `SELECT trace_context FROM p_outbox_event
       WHERE order_id = ${params.add(orderId, "uuid")} AND trace_context IS NOT NULL ORDER BY created_at LIMIT 1`,
      params,
    );
    return rows[0]?.trace_context ?? null;
  },

  async pendingCount(db: SqlTarget): Promise<number> {
    const rows = await runStatement<{ pending: number }>(
      db,
      `SELECT count(*) AS pending FROM p_outbox_event WHERE sent_at IS NULL`,
      new SqlParams(),
    );
    return rows[0]?.pending ?? 0;
  },

  /** Sent rows are kept a while for inspection, then removed. */
  async purgeSent(db: SqlTarget, olderThan: Date): Promise<number> {
    const params = new SqlParams();
    return runCount(db, `DELETE FROM p_outbox_event WHERE sent_at < ${params.add(olderThan, "timestamptz")}`, params);
  },
};
