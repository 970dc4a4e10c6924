// Test support only; not exported from the package index.
import type { ActionContext } from "../order/action-context.ts";
import type { Actor, Role } from "../order/actor.ts";
import type { OrderActionArgs } from "../order/order-action-args.ts";
import type { OrderAction } from "../order/order-action.ts";
import type { OrderState } from "../order/order-state.ts";
import type { OrderStatus } from "../order/order-status.ts";
import { requiresFailureReason } from "../order/order-status.ts";

export const ORDER_ID = "3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c";
export const USER_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
export const OTHER_USER_ID = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
export const STORE_ID = "c3d4e5f6-a7b8-4c9d-8e1f-2a3b4c5d6e7f";
export const OTHER_STORE_ID = "d4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f80";
export const STORE_USER_ID = "e5f6a7b8-c9d0-4e1f-8a3b-4c5d6e7f8091";
export const ADMIN_USER_ID = "f6a7b8c9-d0e1-4f2a-9b4c-5d6e7f809102";
export const PRODUCT_A = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
export const PRODUCT_B = "1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e";
export const PAYMENT_ID = "2c3d4e5f-6a7b-4c8d-8e9f-0a1b2c3d4e5f";
export const RESERVATION_ID = "res-7f3k2q";

export const CREATED_AT = new Date("2026-11-24T10:00:00.000Z");
export const EXPIRES_AT = new Date("2026-11-24T10:10:00.000Z");
export const BEFORE_DEADLINE = new Date("2026-11-24T10:05:00.000Z");
export const AFTER_DEADLINE = new Date("2026-11-24T10:11:00.000Z");

export const ACTORS = {
  customer: { role: "customer", userId: USER_ID, storeId: null },
  otherCustomer: { role: "customer", userId: OTHER_USER_ID, storeId: null },
  store: { role: "store", userId: STORE_USER_ID, storeId: STORE_ID },
  otherStore: { role: "store", userId: STORE_USER_ID, storeId: OTHER_STORE_ID },
  admin: { role: "admin", userId: ADMIN_USER_ID, storeId: null },
  system: { role: "system", userId: null, storeId: null },
} as const satisfies Record<string, Actor>;

/** An actor of the role that owns / may see ORDER_ID. */
export function ownerActor(role: Role): Actor {
  return ACTORS[role];
}

/** Deterministic valid v4 UUIDs. */
export function idFactory(): () => string {
  let n = 0;
  return () => {
    n += 1;
    return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
  };
}

export function ctxFor(actor: Actor, now: Date = BEFORE_DEADLINE): ActionContext {
  return { actor, now, newId: idFactory() };
}

const PAID_OR_LATER: ReadonlySet<OrderStatus> = new Set<OrderStatus>([
  "PAYMENT_COMPLETED",
  "ORDER_CONFIRMED",
  "PREPARING",
  "READY_FOR_DELIVERY",
  "DELIVERING",
  "DELIVERED",
  "COMPLETED",
  "STORE_REJECTED",
  "REFUND_REQUESTED",
  "REFUND_COMPLETED",
  "REFUND_FAILED",
]);

/** A consistent-looking order in the given status. */
export function orderIn(status: OrderStatus, overrides: Partial<OrderState> = {}): OrderState {
  const hasPayment =
    PAID_OR_LATER.has(status) || status === "PAYMENT_PENDING" || status === "PAYMENT_FAILED";
  const hasReservation = status !== "PENDING" && status !== "STOCK_RESERVATION_FAILED";
  return {
    id: ORDER_ID,
    orderNumber: "ORD-20261124-8F3K2Q",
    userId: USER_ID,
    storeId: STORE_ID,
    status,
    items: [
      { productId: PRODUCT_A, productName: "Americano", unitPrice: 4500, quantity: 2 },
      { productId: PRODUCT_B, productName: "Bagel", unitPrice: 3000, quantity: 1 },
    ],
    totalAmount: 12000,
    reservationId: hasReservation ? RESERVATION_ID : null,
    paymentId: hasPayment ? PAYMENT_ID : null,
    expiresAt: EXPIRES_AT,
    confirmedAt: PAID_OR_LATER.has(status) && status !== "PAYMENT_COMPLETED" ? CREATED_AT : null,
    cancelledAt: status === "ORDER_CANCELLED" || status === "STORE_REJECTED" ? CREATED_AT : null,
    failureReason: requiresFailureReason(status) ? "earlier failure" : null,
    refundId: status === "REFUND_COMPLETED" ? "rf_1" : null,
    version: 3,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

/** Valid arguments for the action on the order. */
export function argsFor(action: OrderAction, order: OrderState): OrderActionArgs[OrderAction] {
  const all: OrderActionArgs = {
    reserveStock: { reservationId: RESERVATION_ID, expiresAt: EXPIRES_AT },
    failReservation: { reason: `product ${PRODUCT_A} is out of stock` },
    requestPayment: { paymentId: "4e5f6a7b-8c9d-4e0f-8a1b-2c3d4e5f6a7b" },
    completePayment: { paymentId: order.paymentId ?? PAYMENT_ID, amount: order.totalAmount, pgTransactionId: "pg_tx_1" },
    failPayment: { paymentId: order.paymentId ?? PAYMENT_ID, reason: "card declined" },
    confirm: undefined,
    startPreparing: undefined,
    markReadyForDelivery: undefined,
    startDelivery: undefined,
    markDelivered: undefined,
    complete: undefined,
    cancel: { reason: "changed my mind" },
    reject: { reason: "out of bagels" },
    requestRefund: { reason: "cold coffee" },
    completeRefund: { refundId: "rf_123" },
    failRefund: { reason: "PG refused" },
    timeout: { eventId: "5f6a7b8c-9d0e-4f1a-9b2c-3d4e5f6a7b8c" },
  };
  return all[action];
}

/** The context that makes the action legal in time (timeouts after the deadline). */
export function nowFor(action: OrderAction): Date {
  return action === "timeout" ? AFTER_DEADLINE : BEFORE_DEADLINE;
}
