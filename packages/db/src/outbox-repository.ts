import type { DomainEvent } from "@order-flow/domain";
import type { Db, PrismaClient } from "./client.ts";
import { inPgTransaction } from "./pg-transaction.ts";

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
    prisma: PrismaClient,
    limit: number,
    publish: (rows: OutboxRow[]) => Promise<void>,
    /** rows committed less than this long ago are left to the process that committed them */
    graceMs = 0,
  ): Promise<number> {
    return inPgTransaction(prisma.$pool, async (client) => {
      const lock = await client.query<{ locked: boolean }>({
        name: "outbox_relay_lock",
        text: "SELECT pg_try_advisory_xact_lock($1) AS locked",
        values: [RELAY_LOCK_KEY],
      });
      if (lock.rows[0]?.locked !== true) return 0;
      const { rows } = await client.query<{
        id: string;
        event_type: string;
        payload: DomainEvent;
        available_at: Date;
        order_number: string | null;
        trace_context: string | null;
      }>({
        name: "outbox_relay_take",
        text: `SELECT e.id, e.event_type, e.payload, e.available_at, e.trace_context,
                 (SELECT o.order_number FROM p_order o WHERE o.id = e.order_id) AS order_number
               FROM p_outbox_event e
               WHERE e.sent_at IS NULL AND e.recorded_at <= now() - make_interval(secs => $2::float8 / 1000)
               ORDER BY e.created_at LIMIT $1 FOR UPDATE OF e SKIP LOCKED`,
        values: [limit, graceMs],
      });
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
      await client.query({
        name: "outbox_relay_mark_sent",
        text: `UPDATE p_outbox_event SET sent_at = now() WHERE id = ANY($1::uuid[])`,
        values: [rows.map((r) => r.id)],
      });
      return rows.length;
    });
  },

  /**
   * Marks rows sent that the committing process has put in the queues itself (one UPDATE per
   * batch). Rows it never marks (it died first) are published again by the relay: the jobs
   * collapse on jobId = eventId.
   */
  async markSent(prisma: PrismaClient, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await prisma.$pool.query({
      name: "outbox_mark_sent",
      text: `UPDATE p_outbox_event SET sent_at = now() WHERE id = ANY($1::uuid[]) AND sent_at IS NULL`,
      values: [ids],
    });
  },

  /**
   * Marks events relayed since `since` as unsent again, so the relay publishes them anew:
   * used when Redis lost the jobs they had become. Handlers are idempotent, so an event
   * whose job had already run changes nothing the second time.
   */
  async requeueSentSince(db: Db, since: Date): Promise<number> {
    const { count } = await db.outboxEvent.updateMany({ where: { sentAt: { gte: since } }, data: { sentAt: null } });
    return count;
  },

  /** The trace context of an order's first traced event (its creation): the order's trace. */
  async orderTraceContext(prisma: PrismaClient, orderId: string): Promise<string | null> {
    const { rows } = await prisma.$pool.query<{ trace_context: string }>({
      name: "outbox_order_trace_context",
      text: `SELECT trace_context FROM p_outbox_event
             WHERE order_id = $1::uuid AND trace_context IS NOT NULL ORDER BY created_at LIMIT 1`,
      values: [orderId],
    });
    return rows[0]?.trace_context ?? null;
  },

  async pendingCount(db: Db): Promise<number> {
    return db.outboxEvent.count({ where: { sentAt: null } });
  },

  /** Sent rows are kept a while for inspection, then removed. */
  async purgeSent(db: Db, olderThan: Date): Promise<number> {
    const { count } = await db.outboxEvent.deleteMany({ where: { sentAt: { lt: olderThan } } });
    return count;
  },
};
