import { z } from "zod";

/** The 18 statuses of an order (DOMAIN.md "The 18 statuses"), in lifecycle order. */
export const ORDER_STATUSES = [
  "PENDING",
  "STOCK_RESERVED",
  "STOCK_RESERVATION_FAILED",
  "PAYMENT_PENDING",
  "PAYMENT_FAILED",
  "PAYMENT_TIMEOUT",
  "PAYMENT_COMPLETED",
  "ORDER_CONFIRMED",
  "PREPARING",
  "READY_FOR_DELIVERY",
  "DELIVERING",
  "DELIVERED",
  "COMPLETED",
  "ORDER_CANCELLED",
  "STORE_REJECTED",
  "REFUND_REQUESTED",
  "REFUND_COMPLETED",
  "REFUND_FAILED",
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const orderStatusSchema = z.enum(ORDER_STATUSES);

/** Statuses no transition leaves. */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  "STOCK_RESERVATION_FAILED",
  "PAYMENT_TIMEOUT",
  "ORDER_CANCELLED",
  "STORE_REJECTED",
  "REFUND_COMPLETED",
]);

/** Targets accepted by POST /orders/:id/status. */
export const STORE_SETTABLE_STATUSES = [
  "READY_FOR_DELIVERY",
  "DELIVERING",
  "DELIVERED",
  "COMPLETED",
  "STORE_REJECTED",
] as const satisfies readonly OrderStatus[];

export type StoreSettableStatus = (typeof STORE_SETTABLE_STATUSES)[number];

/** Statuses whose order carries a non-null failureReason (API.md); every other status has null. */
const FAILURE_REASON_STATUSES: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  "STOCK_RESERVATION_FAILED",
  "PAYMENT_FAILED",
  "PAYMENT_TIMEOUT",
  "ORDER_CANCELLED",
  "STORE_REJECTED",
  "REFUND_FAILED",
]);

export function requiresFailureReason(status: OrderStatus): boolean {
  return FAILURE_REASON_STATUSES.has(status);
}

/** Units sold: the reservation was confirmed and has left on_hand (refunds after delivery do not restock). */
export const SOLD_STATUSES = [
  "ORDER_CONFIRMED",
  "PREPARING",
  "READY_FOR_DELIVERY",
  "DELIVERING",
  "DELIVERED",
  "COMPLETED",
  "REFUND_REQUESTED",
  "REFUND_COMPLETED",
  "REFUND_FAILED",
] as const satisfies readonly OrderStatus[];

/** At or after a completed payment, and not undone: a hold of such an order is never swept. */
export const PAID_STATUSES = ["PAYMENT_COMPLETED", ...SOLD_STATUSES] as const satisfies readonly OrderStatus[];
