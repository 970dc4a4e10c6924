// Order statuses as the loadgen reasons about them (DOMAIN.md, "The 18 statuses").
import { SOLD_STATUSES as DOMAIN_SOLD_STATUSES } from "@order-flow/domain";

/** Statuses nothing moves out of without a client's request: an order here has settled. */
export const REST_STATUSES: ReadonlySet<string> = new Set([
  "STOCK_RESERVATION_FAILED",
  "PAYMENT_TIMEOUT",
  "ORDER_CANCELLED",
  "STORE_REJECTED",
  "PREPARING",
  "READY_FOR_DELIVERY",
  "DELIVERING",
  "DELIVERED",
  "COMPLETED",
  "REFUND_COMPLETED",
  "REFUND_FAILED",
]);

/** Statuses whose units have left on_hand (confirmed sale); refunds after delivery do not restock. */
export const SOLD_STATUSES: ReadonlySet<string> = new Set(DOMAIN_SOLD_STATUSES);

/** Sold and the money kept: such an order holds exactly one PAID payment. */
export const PAID_AND_KEPT_STATUSES: ReadonlySet<string> = new Set([
  "ORDER_CONFIRMED",
  "PREPARING",
  "READY_FOR_DELIVERY",
  "DELIVERING",
  "DELIVERED",
  "COMPLETED",
  "REFUND_REQUESTED",
  "REFUND_FAILED",
]);

/** Ended without a sale (or with the money given back): no payment may stay PAID. */
export const MONEY_BACK_STATUSES: ReadonlySet<string> = new Set([
  "STOCK_RESERVATION_FAILED",
  "PAYMENT_TIMEOUT",
  "ORDER_CANCELLED",
  "STORE_REJECTED",
  "REFUND_COMPLETED",
]);
