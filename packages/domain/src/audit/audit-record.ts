import type { OrderAuditEventType } from "./order-audit-event-type.ts";

/** One row of p_order_audit. eventId is unique: a retried writer never records twice. */
export type AuditRecord = {
  eventId: string;
  orderId: string;
  eventType: OrderAuditEventType;
  /** A readable English sentence. */
  changeSummary: string;
  /** null for the system. */
  actorUserId: string | null;
  recordedAt: Date;
  /** actorRole, previousStatus, newStatus, amounts, reasons, ids... (JSON-safe values). */
  metadata: Record<string, unknown>;
};
