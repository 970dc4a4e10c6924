import type { AuditRecord } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { runCount, runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

export type AuditEntryView = {
  eventType: string;
  changeSummary: string;
  actorUserId: string | null;
  recordedAt: Date;
  metadata: Record<string, unknown>;
};

export const auditRepository = {
  /**
   * Appends in one statement, inside the caller's transaction when given its connection
   * (inPgTransaction); an event id already recorded is skipped. Returns the entries added.
   */
  async append(db: SqlTarget, records: AuditRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const p = new SqlParams();
    return runCount(
      db,
      `INSERT INTO p_order_audit (id, event_id, order_id, event_type, change_summary, actor_user_id, recorded_at, metadata)
       SELECT x."eventId", x."eventId", x."orderId", x."eventType", x."changeSummary", x."actorUserId", x."recordedAt",
         COALESCE(x.metadata, '{}')
       FROM jsonb_to_recordset(${p.json(records)})
         AS x("eventId" uuid, "orderId" uuid, "eventType" text, "changeSummary" text, "actorUserId" uuid,
              "recordedAt" timestamptz, metadata jsonb)
       ON CONFLICT DO NOTHING`,
      p,
    );
  },

  /**
   * Appends in a transaction of its own (the seed's REQUIRES_NEW): used for steps that
   * fail, so the entry survives whatever happens to the caller's transaction.
   */
  async appendIndependent(db: Database, records: AuditRecord[]): Promise<number> {
    return auditRepository.append(db, records);
  },

  /** The order's trail in the order it was written. */
  async listByOrder(db: SqlTarget, orderId: string): Promise<AuditEntryView[]> {
    const p = new SqlParams();
    return runStatement<AuditEntryView>(
      db,
      `SELECT event_type AS "eventType", change_summary AS "changeSummary", actor_user_id AS "actorUserId",
         recorded_at AS "recordedAt", COALESCE(metadata, '{}') AS metadata
       FROM p_order_audit WHERE order_id = ${p.add(orderId, "uuid")} ORDER BY seq`,
      p,
    );
  },
};
