import type { AuditRecord } from "../audit/audit-record.ts";
import type { OrderAuditEventType } from "../audit/order-audit-event-type.ts";
import { DomainValidationError, ForbiddenAction, InvalidStateTransition, PaymentMismatch } from "../errors.ts";
import type { DomainEvent } from "../events/domain-event.ts";
import { EVENT_AUDIT_TYPE } from "../events/domain-event.ts";
import type { EventActor } from "../events/event-envelope.ts";
import { toOrderSnapshot } from "../events/order-snapshot.ts";
import { assertMinorUnits, sumLines } from "../money.ts";
import type { ActionContext } from "./action-context.ts";
import type { Actor, Role } from "./actor.ts";
import { canView } from "./actor.ts";
import type { CreateOrderInput, OrderActionArgs } from "./order-action-args.ts";
import type { OrderAction } from "./order-action.ts";
import { ORDER_ACTIONS } from "./order-action.ts";
import type { OrderItem } from "./order-item.ts";
import { MAX_ITEM_QUANTITY, MAX_ORDER_ITEMS, MIN_ITEM_QUANTITY } from "./order-item.ts";
import type { OrderState } from "./order-state.ts";
import type { OrderStatus } from "./order-status.ts";
import { requiresFailureReason } from "./order-status.ts";
import type { Decision, Refusal } from "./decision.ts";
import type { CreateResult, TransitionResult } from "./transition-result.ts";
import { findTransition, roleMayEver } from "./transitions.ts";

export type { CreateOrderInput, OrderActionArgs } from "./order-action-args.ts";
export type { OrderItem } from "./order-item.ts";
export type { OrderState } from "./order-state.ts";
export type { ActionContext } from "./action-context.ts";
export type { CreateResult, TransitionResult } from "./transition-result.ts";
export type { Decision, Refusal } from "./decision.ts";
export type { AuditRecord } from "../audit/audit-record.ts";

/** Default failureReason texts when the caller gives none. */
export const DEFAULT_REASONS = {
  cancelByCustomer: "Cancelled by the customer",
  cancelByAdmin: "Cancelled by an admin",
  reject: "Rejected by the store",
  timeout: "Payment not received by the deadline",
  failPayment: "Payment declined by the payment gateway",
  failReservation: "Stock could not be reserved",
  failRefund: "Refund refused by the payment gateway",
} as const;

/** What to do with a PAID payment result for this order (API.md webhook rules). */
export type PaidPaymentVerdict =
  | { kind: "complete" }
  | { kind: "amountMismatch"; expected: number; actual: number }
  | { kind: "refund"; why: "NOT_PENDING" | "NOT_CURRENT_PAYMENT" };

// ---------------------------------------------------------------- helpers

type Envelope = { eventId: string; orderId: string; actor: EventActor; occurredAt: string };

type Step = {
  patch?: Partial<
    Pick<OrderState, "reservationId" | "paymentId" | "confirmedAt" | "cancelledAt" | "failureReason" | "refundId">
  >;
  /** at most one event per transition */
  event?: (envelope: Envelope, next: OrderState) => DomainEvent;
  /** audit type when no event is raised */
  auditType?: OrderAuditEventType;
  /** audit eventId when no event is raised (default: a fresh id) */
  auditEventId?: string;
  summary: (previous: OrderState, next: OrderState) => string;
  metadata?: Record<string, unknown>;
};

const WHO: Readonly<Record<Role, string>> = {
  customer: "the customer",
  store: "the store",
  admin: "an admin",
  system: "the system",
};

function nonEmpty(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function requireText(value: unknown, path: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new DomainValidationError(path, "must be a non-empty string");
  }
  return value;
}

function requireDate(value: unknown, path: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new DomainValidationError(path, "must be a valid Date");
  }
  return value;
}

function copyItems(items: readonly OrderItem[]): OrderItem[] {
  return items.map((i) => ({ ...i }));
}

function stockLines(items: readonly OrderItem[]): { productId: string; quantity: number }[] {
  return items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
}

function eventActor(actor: Actor): EventActor {
  return { userId: actor.userId, role: actor.role };
}

/** Role first (FORBIDDEN), then ownership (FORBIDDEN), then state (INVALID_STATE_TRANSITION). */
function guard(order: OrderState, action: OrderAction, actor: Actor): OrderStatus {
  if (!roleMayEver(actor.role, action)) throw new ForbiddenAction(actor.role, action);
  if (!canView(actor, order)) {
    throw new ForbiddenAction(actor.role, action, `Role ${actor.role} may not ${action} an order that is not theirs`);
  }
  const rule = findTransition(order.status, action, actor.role);
  if (rule === undefined) throw new InvalidStateTransition(order.status, action);
  return rule.to;
}

function transition(order: OrderState, action: OrderAction, ctx: ActionContext, step: Step): TransitionResult {
  const to = guard(order, action, ctx.actor);
  return apply(order, to, action, ctx, step);
}

function apply(
  order: OrderState,
  to: OrderStatus,
  action: OrderAction,
  ctx: ActionContext,
  step: Step,
): TransitionResult {
  const { actor, now } = ctx;
  const patchedReason = step.patch?.failureReason ?? null;
  if (requiresFailureReason(to) && patchedReason === null) {
    throw new Error(`internal: ${action} must set failureReason for ${to}`);
  }
  const next: OrderState = {
    ...order,
    ...step.patch,
    items: copyItems(order.items),
    status: to,
    failureReason: requiresFailureReason(to) ? patchedReason : null,
    version: order.version + 1,
    updatedAt: now,
  };
  const events: DomainEvent[] = [];
  if (step.event) {
    events.push(
      step.event(
        { eventId: ctx.newId(), orderId: order.id, actor: eventActor(actor), occurredAt: now.toISOString() },
        next,
      ),
    );
  }
  const summary = step.summary(order, next);
  const metadata: Record<string, unknown> = {
    action,
    actorRole: actor.role,
    previousStatus: order.status,
    newStatus: to,
    ...(next.failureReason !== null ? { failureReason: next.failureReason } : {}),
    ...step.metadata,
  };
  const record = (eventId: string, eventType: OrderAuditEventType): AuditRecord => ({
    eventId,
    orderId: order.id,
    eventType,
    changeSummary: summary,
    actorUserId: actor.userId,
    recordedAt: now,
    metadata: { ...metadata },
  });
  const audit =
    events.length > 0
      ? events.map((e) => record(e.eventId, EVENT_AUDIT_TYPE[e.type]))
      : [record(step.auditEventId ?? ctx.newId(), step.auditType ?? "STATUS_CHANGED")];
  return { order: next, previous: order, events, audit };
}

function statusStep(label: string, reason: string | undefined): Step {
  const r = nonEmpty(reason);
  return {
    auditType: "STATUS_CHANGED",
    summary: (prev, next) =>
      `Order ${label} (${prev.status} → ${next.status})${r !== null ? `: ${r}` : ""}.`,
    metadata: r !== null ? { reason: r } : {},
  };
}

function byWhom(actor: Actor): string {
  return WHO[actor.role];
}

// ---------------------------------------------------------------- create

function create(input: CreateOrderInput, ctx: ActionContext): CreateResult {
  const { actor, now } = ctx;
  if (actor.role === "store") throw new ForbiddenAction(actor.role, "create", "A store may not place orders");
  if (actor.role === "customer" && (actor.userId === null || actor.userId !== input.userId)) {
    throw new ForbiddenAction(actor.role, "create", "A customer may only place orders for themselves");
  }
  requireText(input.id, "id");
  requireText(input.orderNumber, "orderNumber");
  requireText(input.userId, "userId");
  requireText(input.storeId, "storeId");
  requireDate(input.expiresAt, "expiresAt");
  requireDate(now, "now");
  if (!Array.isArray(input.items) || input.items.length < 1 || input.items.length > MAX_ORDER_ITEMS) {
    throw new DomainValidationError("items", `must hold 1 to ${MAX_ORDER_ITEMS} items`);
  }
  const seen = new Set<string>();
  input.items.forEach((item, i) => {
    requireText(item.productId, `items[${i}].productId`);
    if (typeof item.productName !== "string") {
      throw new DomainValidationError(`items[${i}].productName`, "must be a string");
    }
    if (seen.has(item.productId)) throw new DomainValidationError(`items[${i}].productId`, "duplicate product");
    seen.add(item.productId);
    assertMinorUnits(item.unitPrice, `items[${i}].unitPrice`);
    if (!Number.isInteger(item.quantity) || item.quantity < MIN_ITEM_QUANTITY || item.quantity > MAX_ITEM_QUANTITY) {
      throw new DomainValidationError(
        `items[${i}].quantity`,
        `must be an integer from ${MIN_ITEM_QUANTITY} to ${MAX_ITEM_QUANTITY}`,
      );
    }
  });
  const items = copyItems(input.items);
  const totalAmount = sumLines(items);
  const order: OrderState = {
    id: input.id,
    orderNumber: input.orderNumber,
    userId: input.userId,
    storeId: input.storeId,
    status: "PENDING",
    items,
    totalAmount,
    reservationId: null,
    paymentId: null,
    expiresAt: input.expiresAt,
    confirmedAt: null,
    cancelledAt: null,
    failureReason: null,
    refundId: null,
    version: 0,
    createdAt: now,
    updatedAt: now,
  };
  const event: DomainEvent = {
    type: "OrderCreated",
    eventId: ctx.newId(),
    orderId: order.id,
    actor: eventActor(actor),
    occurredAt: now.toISOString(),
    userId: order.userId,
    storeId: order.storeId,
    orderNumber: order.orderNumber,
    totalAmount,
    expiresAt: order.expiresAt.toISOString(),
    items: copyItems(items),
  };
  const audit: AuditRecord = {
    eventId: event.eventId,
    orderId: order.id,
    eventType: "ORDER_CREATED",
    changeSummary: `Order ${order.orderNumber} placed by ${byWhom(actor)}: ${items.length} item(s), total ${totalAmount}, payment due by ${order.expiresAt.toISOString()}.`,
    actorUserId: actor.userId,
    recordedAt: now,
    metadata: {
      action: "create",
      actorRole: actor.role,
      previousStatus: null,
      newStatus: "PENDING",
      orderNumber: order.orderNumber,
      totalAmount,
      itemCount: items.length,
      expiresAt: order.expiresAt.toISOString(),
    },
  };
  return { order, previous: null, events: [event], audit: [audit] };
}

// ---------------------------------------------------------------- actions

function reserveStock(order: OrderState, ctx: ActionContext, args: OrderActionArgs["reserveStock"]): TransitionResult {
  const reservationId = requireText(args.reservationId, "reservationId");
  const expiresAt = requireDate(args.expiresAt, "expiresAt");
  return transition(order, "reserveStock", ctx, {
    patch: { reservationId },
    event: (env, next) => ({
      type: "StockReserved",
      ...env,
      reservationId,
      storeId: next.storeId,
      items: stockLines(next.items),
      expiresAt: expiresAt.toISOString(),
    }),
    summary: () => `Stock reserved (reservation ${reservationId}) until ${expiresAt.toISOString()}.`,
    metadata: { reservationId, reservationExpiresAt: expiresAt.toISOString(), items: stockLines(order.items) },
  });
}

function failReservation(
  order: OrderState,
  ctx: ActionContext,
  args: OrderActionArgs["failReservation"],
): TransitionResult {
  const reason = nonEmpty(args.reason) ?? DEFAULT_REASONS.failReservation;
  return transition(order, "failReservation", ctx, {
    patch: { failureReason: reason },
    auditType: "STOCK_RESERVATION_FAILED",
    summary: () => `Stock reservation failed: ${reason}.`,
  });
}

function requestPayment(
  order: OrderState,
  ctx: ActionContext,
  args: OrderActionArgs["requestPayment"],
): TransitionResult {
  const paymentId = requireText(args.paymentId, "paymentId");
  return transition(order, "requestPayment", ctx, {
    patch: { paymentId },
    event: (env, next) => ({
      type: "PaymentRequested",
      ...env,
      paymentId,
      amount: next.totalAmount,
      orderState: toOrderSnapshot(next),
    }),
    summary: (prev) =>
      `Payment ${paymentId} of ${prev.totalAmount} requested by ${byWhom(ctx.actor)}${
        prev.status === "PAYMENT_FAILED" ? " (retry after a failed payment)" : ""
      }.`,
    metadata: { paymentId, amount: order.totalAmount, previousPaymentId: order.paymentId },
  });
}

/** Decide what a PAID result for paymentId/amount means for the order, without changing it. */
function checkPaidPayment(order: OrderState, paid: { paymentId: string; amount: number }): PaidPaymentVerdict {
  if (order.status !== "PAYMENT_PENDING") return { kind: "refund", why: "NOT_PENDING" };
  if (order.paymentId === null || order.paymentId !== paid.paymentId) {
    return { kind: "refund", why: "NOT_CURRENT_PAYMENT" };
  }
  if (paid.amount !== order.totalAmount) {
    return { kind: "amountMismatch", expected: order.totalAmount, actual: paid.amount };
  }
  return { kind: "complete" };
}

function completePayment(
  order: OrderState,
  ctx: ActionContext,
  args: OrderActionArgs["completePayment"],
): TransitionResult {
  const to = guard(order, "completePayment", ctx.actor);
  const paymentId = requireText(args.paymentId, "paymentId");
  const pgTransactionId = requireText(args.pgTransactionId, "pgTransactionId");
  assertMinorUnits(args.amount, "amount");
  if (order.paymentId !== paymentId) throw new PaymentMismatch("PAYMENT_ID", order.paymentId, paymentId);
  if (args.amount !== order.totalAmount) throw new PaymentMismatch("AMOUNT", order.totalAmount, args.amount);
  const amount = args.amount;
  return apply(order, to, "completePayment", ctx, {
    event: (env, next) => ({
      type: "PaymentCompleted",
      ...env,
      paymentId,
      amount,
      pgTransactionId,
      orderState: toOrderSnapshot(next),
    }),
    summary: () => `Payment ${paymentId} of ${amount} completed (PG transaction ${pgTransactionId}).`,
    metadata: { paymentId, amount, pgTransactionId },
  });
}

function failPayment(order: OrderState, ctx: ActionContext, args: OrderActionArgs["failPayment"]): TransitionResult {
  const to = guard(order, "failPayment", ctx.actor);
  const paymentId = requireText(args.paymentId, "paymentId");
  if (order.paymentId !== paymentId) throw new PaymentMismatch("PAYMENT_ID", order.paymentId, paymentId);
  const reason = nonEmpty(args.reason) ?? DEFAULT_REASONS.failPayment;
  return apply(order, to, "failPayment", ctx, {
    patch: { failureReason: reason },
    auditType: "PAYMENT_FAILED",
    summary: () => `Payment ${paymentId} failed: ${reason}. The customer may retry until the deadline.`,
    metadata: { paymentId, amount: order.totalAmount },
  });
}

function confirm(order: OrderState, ctx: ActionContext): TransitionResult {
  return transition(order, "confirm", ctx, {
    patch: { confirmedAt: ctx.now },
    event: (env, next) => ({
      type: "OrderConfirmed",
      ...env,
      storeId: next.storeId,
      reservationId: next.reservationId,
      orderState: toOrderSnapshot(next),
    }),
    summary: (prev) => `Order confirmed: reservation ${prev.reservationId ?? "(none)"} turned into a sale.`,
    metadata: { reservationId: order.reservationId, paymentId: order.paymentId, amount: order.totalAmount },
  });
}

function startPreparing(order: OrderState, ctx: ActionContext): TransitionResult {
  return transition(order, "startPreparing", ctx, {
    auditType: "STATUS_CHANGED",
    summary: () => "The store was notified and is preparing the order.",
  });
}

function markReadyForDelivery(
  order: OrderState,
  ctx: ActionContext,
  args?: OrderActionArgs["markReadyForDelivery"],
): TransitionResult {
  return transition(order, "markReadyForDelivery", ctx, statusStep(`marked ready for delivery by ${byWhom(ctx.actor)}`, args?.reason));
}

function startDelivery(
  order: OrderState,
  ctx: ActionContext,
  args?: OrderActionArgs["startDelivery"],
): TransitionResult {
  return transition(order, "startDelivery", ctx, statusStep(`sent out for delivery by ${byWhom(ctx.actor)}`, args?.reason));
}

function markDelivered(
  order: OrderState,
  ctx: ActionContext,
  args?: OrderActionArgs["markDelivered"],
): TransitionResult {
  return transition(order, "markDelivered", ctx, statusStep(`marked delivered by ${byWhom(ctx.actor)}`, args?.reason));
}

function complete(order: OrderState, ctx: ActionContext, args?: OrderActionArgs["complete"]): TransitionResult {
  return transition(order, "complete", ctx, statusStep(`completed by ${byWhom(ctx.actor)}`, args?.reason));
}

function cancel(order: OrderState, ctx: ActionContext, args?: OrderActionArgs["cancel"]): TransitionResult {
  const defaultReason = ctx.actor.role === "admin" ? DEFAULT_REASONS.cancelByAdmin : DEFAULT_REASONS.cancelByCustomer;
  const reason = nonEmpty(args?.reason) ?? defaultReason;
  const paid = order.status === "PAYMENT_COMPLETED" || order.status === "ORDER_CONFIRMED";
  const stockSold = order.status === "ORDER_CONFIRMED";
  return transition(order, "cancel", ctx, {
    patch: { failureReason: reason, cancelledAt: ctx.now },
    event: (env, next) => ({
      type: "OrderCancelled",
      ...env,
      previousStatus: order.status,
      reason,
      paid,
      stockSold,
      rejectedByStore: false,
      paymentId: next.paymentId,
      reservationId: next.reservationId,
      amount: next.totalAmount,
      storeId: next.storeId,
      items: stockLines(next.items),
    }),
    summary: (prev) =>
      `Order cancelled by ${byWhom(ctx.actor)} while ${prev.status}: ${reason}.` +
      (paid ? ` The payment of ${prev.totalAmount} will be refunded.` : ""),
    metadata: {
      reason,
      paid,
      stockSold,
      paymentId: order.paymentId,
      reservationId: order.reservationId,
      amount: order.totalAmount,
    },
  });
}

function reject(order: OrderState, ctx: ActionContext, args?: OrderActionArgs["reject"]): TransitionResult {
  const reason = nonEmpty(args?.reason) ?? DEFAULT_REASONS.reject;
  return transition(order, "reject", ctx, {
    patch: { failureReason: reason, cancelledAt: ctx.now },
    event: (env, next) => ({
      type: "OrderCancelled",
      ...env,
      previousStatus: order.status,
      reason,
      paid: true,
      stockSold: true,
      rejectedByStore: true,
      paymentId: next.paymentId,
      reservationId: next.reservationId,
      amount: next.totalAmount,
      storeId: next.storeId,
      items: stockLines(next.items),
    }),
    summary: (prev) =>
      `Order rejected by ${byWhom(ctx.actor)}: ${reason}. The payment of ${prev.totalAmount} will be refunded and the stock restored.`,
    metadata: {
      reason,
      rejectedByStore: true,
      paid: true,
      stockSold: true,
      paymentId: order.paymentId,
      reservationId: order.reservationId,
      amount: order.totalAmount,
    },
  });
}

function requestRefund(
  order: OrderState,
  ctx: ActionContext,
  args?: OrderActionArgs["requestRefund"],
): TransitionResult {
  const reason = nonEmpty(args?.reason);
  return transition(order, "requestRefund", ctx, {
    patch: { refundId: null },
    event: (env, next) => ({
      type: "OrderRefunded",
      ...env,
      phase: "REQUESTED",
      paymentId: next.paymentId,
      amount: next.totalAmount,
      reason,
    }),
    summary: (prev) =>
      `Refund of ${prev.totalAmount} requested by ${byWhom(ctx.actor)}${reason !== null ? `: ${reason}` : ""}.`,
    metadata: { reason, paymentId: order.paymentId, amount: order.totalAmount },
  });
}

function completeRefund(
  order: OrderState,
  ctx: ActionContext,
  args: OrderActionArgs["completeRefund"],
): TransitionResult {
  const refundId = requireText(args.refundId, "refundId");
  return transition(order, "completeRefund", ctx, {
    patch: { refundId },
    auditType: "REFUND_COMPLETED",
    summary: (prev) => `Refund ${refundId} of ${prev.totalAmount} completed by the payment gateway.`,
    metadata: { refundId, paymentId: order.paymentId, amount: order.totalAmount },
  });
}

function failRefund(order: OrderState, ctx: ActionContext, args: OrderActionArgs["failRefund"]): TransitionResult {
  const reason = nonEmpty(args.reason) ?? DEFAULT_REASONS.failRefund;
  return transition(order, "failRefund", ctx, {
    patch: { failureReason: reason },
    auditType: "REFUND_FAILED",
    summary: (prev) => `Refund of ${prev.totalAmount} failed: ${reason}. An admin may request it again.`,
    metadata: { paymentId: order.paymentId, amount: order.totalAmount },
  });
}

function timeout(order: OrderState, ctx: ActionContext, args?: OrderActionArgs["timeout"]): TransitionResult {
  const to = guard(order, "timeout", ctx.actor);
  if (ctx.now.getTime() < order.expiresAt.getTime()) {
    throw new InvalidStateTransition(
      order.status,
      "timeout",
      `Cannot time out order before its deadline ${order.expiresAt.toISOString()}`,
    );
  }
  const reason = DEFAULT_REASONS.timeout;
  return apply(order, to, "timeout", ctx, {
    patch: { failureReason: reason },
    auditType: "ORDER_TIMEOUT",
    ...(args?.eventId !== undefined ? { auditEventId: requireText(args.eventId, "eventId") } : {}),
    summary: (prev) =>
      `Payment not received by the deadline ${prev.expiresAt.toISOString()}; the order timed out while ${prev.status} and its stock is released.`,
    metadata: {
      expiresAt: order.expiresAt.toISOString(),
      reservationId: order.reservationId,
      paymentId: order.paymentId,
    },
  });
}

// ---------------------------------------------------------------- queries

/** Whether the actor may do the action on the order now (role, ownership, status; deadline for timeout when now is given). */
function can(order: OrderState, actor: Actor, action: OrderAction, now?: Date): boolean {
  if (!roleMayEver(actor.role, action) || !canView(actor, order)) return false;
  if (findTransition(order.status, action, actor.role) === undefined) return false;
  if (action === "timeout" && now !== undefined && now.getTime() < order.expiresAt.getTime()) return false;
  return true;
}

/** The payment the order is waiting for, if it is waiting for one (asking again returns it). */
function pendingPayment(order: OrderState): string | null {
  return order.status === "PAYMENT_PENDING" ? order.paymentId : null;
}

/** Whether the store has been told and is preparing the order (nothing later has happened yet). */
function isPreparing(order: OrderState): boolean {
  return order.status === "PREPARING";
}

/** Whether the order ended at its payment deadline (its hold may still need releasing). */
function hasTimedOut(order: OrderState): boolean {
  return order.status === "PAYMENT_TIMEOUT";
}

/**
 * Where the order's refund stands: asked for and awaiting the PG, failed for good (an admin may
 * ask again), or done; null when no refund was asked for.
 */
function refundStage(order: OrderState): "REQUESTED" | "FAILED" | "COMPLETED" | null {
  if (order.status === "REFUND_REQUESTED") return "REQUESTED";
  if (order.status === "REFUND_FAILED") return "FAILED";
  if (order.status === "REFUND_COMPLETED") return "COMPLETED";
  return null;
}

type ArgsOf<A extends OrderAction> = undefined extends OrderActionArgs[A]
  ? [args?: OrderActionArgs[A]]
  : [args: OrderActionArgs[A]];

/**
 * Whether the action applies to the order now, as a value: the transition when it does, the
 * refusal (403 FORBIDDEN, 409 INVALID_STATE_TRANSITION, a payment that does not fit) when it
 * does not. Callers ask this instead of comparing statuses; bad input still throws.
 */
function decide<A extends OrderAction>(order: OrderState, action: A, ctx: ActionContext, ...rest: ArgsOf<A>): Decision {
  const run = ACTIONS[action] as (o: OrderState, c: ActionContext, a: OrderActionArgs[A] | undefined) => TransitionResult;
  try {
    return { applies: true, result: run(order, ctx, rest[0]) };
  } catch (error) {
    if (error instanceof ForbiddenAction || error instanceof InvalidStateTransition || error instanceof PaymentMismatch) {
      return { applies: false, why: error satisfies Refusal };
    }
    throw error;
  }
}

/** The actions the actor may do on the order now. */
function availableActions(order: OrderState, actor: Actor, now?: Date): OrderAction[] {
  return ORDER_ACTIONS.filter((a) => can(order, actor, a, now));
}

const ACTIONS = {
  reserveStock,
  failReservation,
  requestPayment,
  completePayment,
  failPayment,
  confirm,
  startPreparing,
  markReadyForDelivery,
  startDelivery,
  markDelivered,
  complete,
  cancel,
  reject,
  requestRefund,
  completeRefund,
  failRefund,
  timeout,
} as const satisfies { [A in OrderAction]: unknown };

/** The aggregate: pure functions from (state, context, args) to TransitionResult, and its answers. */
export const Order = {
  create,
  ...ACTIONS,
  decide,
  can,
  availableActions,
  checkPaidPayment,
  pendingPayment,
  hasTimedOut,
  isPreparing,
  refundStage,
} as const;
