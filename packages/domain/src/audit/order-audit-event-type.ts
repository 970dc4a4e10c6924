/** Values of p_order_audit.event_type. Any entry about money going back contains REFUND. */
export const ORDER_AUDIT_EVENT_TYPES = [
  // one per domain event
  "ORDER_CREATED",
  "STOCK_RESERVED",
  "PAYMENT_REQUESTED",
  "PAYMENT_COMPLETED",
  "ORDER_CONFIRMED",
  "ORDER_CANCELLED",
  "ORDER_REFUNDED",
  "ORDER_TIMEOUT",
  // transitions without an event, and side effects
  "STOCK_RESERVATION_FAILED",
  "PAYMENT_FAILED",
  "STATUS_CHANGED",
  "STORE_REJECTED",
  "REFUND_COMPLETED",
  "REFUND_FAILED",
  "LATE_PAYMENT_REFUNDED",
  "PAYMENT_REFUNDED",
  "PAYMENT_AMOUNT_MISMATCH_REFUNDED",
  "STORE_NOTIFIED",
  "JOB_FAILED",
  "STOCK_RELEASED",
] as const;

export type OrderAuditEventType = (typeof ORDER_AUDIT_EVENT_TYPES)[number];

