import type { Role } from "./actor.ts";
import type { OrderAction } from "./order-action.ts";
import type { OrderStatus, StoreSettableStatus } from "./order-status.ts";

export type TransitionRule = {
  readonly action: OrderAction;
  readonly from: readonly OrderStatus[];
  readonly to: OrderStatus;
  readonly roles: readonly Role[];
};

/**
 * The state machine of DOMAIN.md as data, the only place it is written down.
 * A (status, action, role) triple is allowed iff some row holds it. An action may have
 * several rows when roles differ in where they may start from (requestRefund).
 * Ownership (customer: own orders, store: its store's orders) is checked by the aggregate.
 */
export const TRANSITIONS: readonly TransitionRule[] = [
  { action: "reserveStock", from: ["PENDING"], to: "STOCK_RESERVED", roles: ["system"] },
  { action: "failReservation", from: ["PENDING"], to: "STOCK_RESERVATION_FAILED", roles: ["system"] },
  {
    action: "requestPayment",
    from: ["STOCK_RESERVED", "PAYMENT_FAILED"],
    to: "PAYMENT_PENDING",
    roles: ["customer"],
  },
  { action: "completePayment", from: ["PAYMENT_PENDING"], to: "PAYMENT_COMPLETED", roles: ["system"] },
  { action: "failPayment", from: ["PAYMENT_PENDING"], to: "PAYMENT_FAILED", roles: ["system"] },
  {
    action: "timeout",
    from: ["STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED"],
    to: "PAYMENT_TIMEOUT",
    roles: ["system"],
  },
  { action: "confirm", from: ["PAYMENT_COMPLETED"], to: "ORDER_CONFIRMED", roles: ["system"] },
  { action: "startPreparing", from: ["ORDER_CONFIRMED"], to: "PREPARING", roles: ["system"] },
  {
    action: "markReadyForDelivery",
    from: ["PREPARING"],
    to: "READY_FOR_DELIVERY",
    roles: ["store", "admin"],
  },
  { action: "reject", from: ["PREPARING"], to: "STORE_REJECTED", roles: ["store", "admin"] },
  { action: "startDelivery", from: ["READY_FOR_DELIVERY"], to: "DELIVERING", roles: ["store", "admin"] },
  { action: "markDelivered", from: ["DELIVERING"], to: "DELIVERED", roles: ["store", "admin"] },
  { action: "complete", from: ["DELIVERED"], to: "COMPLETED", roles: ["customer", "store", "admin"] },
  {
    action: "cancel",
    from: [
      "PENDING",
      "STOCK_RESERVED",
      "PAYMENT_PENDING",
      "PAYMENT_FAILED",
      "PAYMENT_COMPLETED",
      "ORDER_CONFIRMED",
    ],
    to: "ORDER_CANCELLED",
    roles: ["customer", "admin"],
  },
  {
    action: "requestRefund",
    from: ["DELIVERED", "COMPLETED"],
    to: "REFUND_REQUESTED",
    roles: ["customer", "admin"],
  },
  { action: "requestRefund", from: ["REFUND_FAILED"], to: "REFUND_REQUESTED", roles: ["admin"] },
  { action: "completeRefund", from: ["REFUND_REQUESTED"], to: "REFUND_COMPLETED", roles: ["system"] },
  { action: "failRefund", from: ["REFUND_REQUESTED"], to: "REFUND_FAILED", roles: ["system"] },
];

/** Whether the role may do the action from at least one status (else: FORBIDDEN). */
export function roleMayEver(role: Role, action: OrderAction): boolean {
  return TRANSITIONS.some((t) => t.action === action && t.roles.includes(role));
}

/** The statuses from which the role may do the action (empty when it never may). */
export function allowedFrom(action: OrderAction, role: Role): readonly OrderStatus[] {
  const out: OrderStatus[] = [];
  for (const t of TRANSITIONS) {
    if (t.action !== action || !t.roles.includes(role)) continue;
    for (const s of t.from) if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** The rule that lets the role do the action from the status, if any. */
export function findTransition(
  from: OrderStatus,
  action: OrderAction,
  role: Role,
): TransitionRule | undefined {
  return TRANSITIONS.find((t) => t.action === action && t.roles.includes(role) && t.from.includes(from));
}

/** The status an action leads to (the same for every row of an action). */
export function targetStatus(action: OrderAction): OrderStatus {
  const rule = TRANSITIONS.find((t) => t.action === action);
  if (rule === undefined) throw new Error(`No transition for action ${action}`);
  return rule.to;
}

const ACTION_FOR_TARGET: Readonly<Record<StoreSettableStatus, OrderAction>> = {
  READY_FOR_DELIVERY: "markReadyForDelivery",
  DELIVERING: "startDelivery",
  DELIVERED: "markDelivered",
  COMPLETED: "complete",
  STORE_REJECTED: "reject",
};

/** Maps a POST /orders/:id/status target to its action. */
export function actionForTargetStatus(status: StoreSettableStatus): OrderAction;
export function actionForTargetStatus(status: OrderStatus): OrderAction | undefined;
export function actionForTargetStatus(status: OrderStatus): OrderAction | undefined {
  return (ACTION_FOR_TARGET as Partial<Record<OrderStatus, OrderAction>>)[status];
}
