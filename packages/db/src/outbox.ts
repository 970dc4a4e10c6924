import type { DomainEvent, Outbox } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { setOutboxSink } from "./outbox-sink.ts";
import { inPgTransaction } from "./pg-transaction.ts";
import { runCount, runStatement, SqlParams } from "./sql-statement.ts";

/** Advisory lock key of the relay pass: one active relay at a time across all processes. */
const RELAY_LOCK_KEY = 0x6f75_7462; // "outb"

/**
 * The outbox on PostgreSQL (p_outbox_event; its rows are inserted by OrderWrite, in the
 * order's own statement). The sink belongs to the database: every Outbox on one handle shares it.
 */
export function pgOutbox(db: Database): Outbox {
  return {
    onCommit: (sink) => setOutboxSink(db, sink),

    // Only unsent rows: a mark after the relay's own changes nothing.
    async markSent(ids) {
      if (ids.length === 0) return;
      const params = new SqlParams();
      await runStatement(
        db,
        `UPDATE p_outbox_event SET sent_at = now() WHERE id = ANY(${params.add(ids, "uuid[]")}) AND sent_at IS NULL`,
        params,
      );
    },

    // The lock, the rows (FOR UPDATE) and the sent mark share one transaction: a pass that
    // dies before its UPDATE leaves its rows unsent, and a second pass finds the lock taken.
    relayBatch(limit, publish, graceMs = 0) {
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

    requeueSentSince(since) {
      const params = new SqlParams();
      return runCount(db, `UPDATE p_outbox_event SET sent_at = NULL WHERE sent_at >= ${params.add(since, "timestamptz")}`, params);
    },

    async pendingCount() {
      const rows = await runStatement<{ pending: number }>(
        db,
        `SELECT count(*) AS pending FROM p_outbox_event WHERE sent_at IS NULL`,
        new SqlParams(),
      );
      return rows[0]?.pending ?? 0;
    },

    purgeSent(olderThan) {
      const params = new SqlParams();
      return runCount(db, `DELETE FROM p_outbox_event WHERE sent_at < ${params.add(olderThan, "timestamptz")}`, params);
    },

    async orderTraceContext(orderId) {
      const params = new SqlParams();
      const rows = await runStatement<{ trace_context: string }>(
        db,
        `SELECT trace_context FROM p_outbox_event
         WHERE order_id = ${params.add(orderId, "uuid")} AND trace_context IS NOT NULL ORDER BY created_at LIMIT 1`,
        params,
      );
      return rows[0]?.trace_context ?? null;
    },
  };
}
