import { describe, expect, it } from "vitest";
import { ForbiddenAction, InvalidStateTransition } from "../errors.ts";
import { EVENT_AUDIT_TYPE } from "../events/domain-event.ts";
import type { DomainEventType } from "../events/domain-event.ts";
import { domainEventSchema } from "../events/domain-event.ts";
import type { OrderAuditEventType } from "../audit/order-audit-event-type.ts";
import { argsFor, ctxFor, nowFor, orderIn, ownerActor } from "../testing/order-fixtures.ts";
import { ROLES } from "./actor.ts";
import type { Role } from "./actor.ts";
import { ORDER_ACTIONS } from "./order-action.ts";
import { Order } from "./order.ts";
import type { OrderAction } from "./order-action.ts";
import { ORDER_STATUSES, STORE_SETTABLE_STATUSES, TERMINAL_STATUSES, requiresFailureReason } from "./order-status.ts";
import type { OrderStatus } from "./order-status.ts";
import {
  TRANSITIONS,
  actionForTargetStatus,
  allowedFrom,
  findTransition,
  roleMayEver,
  targetStatus,
} from "./transitions.ts";

/** DOMAIN.md's transition table, written out independently of TRANSITIONS: "from action role → to". */
const EXPECTED: Record<string, OrderStatus> = {};
function allow(from: OrderStatus[], action: OrderAction, roles: Role[], to: OrderStatus): void {
  for (const f of from) for (const r of roles) EXPECTED[`${f} ${action} ${r}`] = to;
}
allow(["PENDING"], "reserveStock", ["system"], "STOCK_RESERVED");
allow(["PENDING"], "failReservation", ["system"], "STOCK_RESERVATION_FAILED");
allow(
  ["PENDING", "STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED", "PAYMENT_COMPLETED", "ORDER_CONFIRMED"],
  "cancel",
  ["customer", "admin"],
  "ORDER_CANCELLED",
);
allow(["STOCK_RESERVED", "PAYMENT_FAILED"], "requestPayment", ["customer"], "PAYMENT_PENDING");
allow(["PAYMENT_PENDING"], "completePayment", ["system"], "PAYMENT_COMPLETED");
allow(["PAYMENT_PENDING"], "failPayment", ["system"], "PAYMENT_FAILED");
allow(["STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED"], "timeout", ["system"], "PAYMENT_TIMEOUT");
allow(["PAYMENT_COMPLETED"], "confirm", ["system"], "ORDER_CONFIRMED");
allow(["ORDER_CONFIRMED"], "startPreparing", ["system"], "PREPARING");
allow(["PREPARING"], "markReadyForDelivery", ["store", "admin"], "READY_FOR_DELIVERY");
allow(["PREPARING"], "reject", ["store", "admin"], "STORE_REJECTED");
allow(["READY_FOR_DELIVERY"], "startDelivery", ["store", "admin"], "DELIVERING");
allow(["DELIVERING"], "markDelivered", ["store", "admin"], "DELIVERED");
allow(["DELIVERED"], "complete", ["customer", "store", "admin"], "COMPLETED");
allow(["DELIVERED", "COMPLETED"], "requestRefund", ["customer", "admin"], "REFUND_REQUESTED");
allow(["REFUND_FAILED"], "requestRefund", ["admin"], "REFUND_REQUESTED");
allow(["REFUND_REQUESTED"], "completeRefund", ["system"], "REFUND_COMPLETED");
allow(["REFUND_REQUESTED"], "failRefund", ["system"], "REFUND_FAILED");

const EVENT_OF: Record<OrderAction, DomainEventType | null> = {
  reserveStock: "StockReserved",
  failReservation: null,
  requestPayment: "PaymentRequested",
  completePayment: "PaymentCompleted",
  failPayment: null,
  confirm: "OrderConfirmed",
  startPreparing: null,
  markReadyForDelivery: null,
  startDelivery: null,
  markDelivered: null,
  complete: null,
  cancel: "OrderCancelled",
  reject: "OrderCancelled",
  requestRefund: "OrderRefunded",
  completeRefund: null,
  failRefund: null,
  timeout: null,
};

const AUDIT_WITHOUT_EVENT: Partial<Record<OrderAction, OrderAuditEventType>> = {
  failReservation: "STOCK_RESERVATION_FAILED",
  failPayment: "PAYMENT_FAILED",
  startPreparing: "STATUS_CHANGED",
  markReadyForDelivery: "STATUS_CHANGED",
  startDelivery: "STATUS_CHANGED",
  markDelivered: "STATUS_CHANGED",
  complete: "STATUS_CHANGED",
  completeRefund: "REFUND_COMPLETED",
  failRefund: "REFUND_FAILED",
  timeout: "ORDER_TIMEOUT",
};

function run(from: OrderStatus, action: OrderAction, role: Role) {
  const order = orderIn(from);
  const ctx = ctxFor(ownerActor(role), nowFor(action));
  const result = () => {
    const decision = Order.decide(order, action, ctx, argsFor(action, order) as never);
    if (!decision.applies) throw decision.why;
    return decision.result;
  };
  return { order, ctx, result };
}

describe("TRANSITIONS table", () => {
  it("is exactly DOMAIN.md's table", () => {
    const fromTable: Record<string, OrderStatus> = {};
    for (const t of TRANSITIONS) for (const f of t.from) for (const r of t.roles) fromTable[`${f} ${t.action} ${r}`] = t.to;
    expect(fromTable).toEqual(EXPECTED);
  });

  it("has one target status per action", () => {
    for (const action of ORDER_ACTIONS) {
      const targets = new Set(TRANSITIONS.filter((t) => t.action === action).map((t) => t.to));
      expect(targets.size, action).toBe(1);
      expect(targetStatus(action)).toBe([...targets][0]);
    }
  });

  it("never leaves a terminal status", () => {
    for (const t of TRANSITIONS) for (const f of t.from) expect(TERMINAL_STATUSES.has(f), `${t.action} from ${f}`).toBe(false);
  });

  it("roleMayEver and allowedFrom follow the roles of DOMAIN.md", () => {
    const rolesOf: Record<OrderAction, Role[]> = {
      reserveStock: ["system"],
      failReservation: ["system"],
      requestPayment: ["customer"],
      completePayment: ["system"],
      failPayment: ["system"],
      confirm: ["system"],
      startPreparing: ["system"],
      markReadyForDelivery: ["store", "admin"],
      startDelivery: ["store", "admin"],
      markDelivered: ["store", "admin"],
      complete: ["customer", "store", "admin"],
      cancel: ["customer", "admin"],
      reject: ["store", "admin"],
      requestRefund: ["customer", "admin"],
      completeRefund: ["system"],
      failRefund: ["system"],
      timeout: ["system"],
    };
    for (const action of ORDER_ACTIONS) {
      for (const role of ROLES) {
        expect(roleMayEver(role, action), `${role} ${action}`).toBe(rolesOf[action].includes(role));
        expect(allowedFrom(action, role).length > 0).toBe(rolesOf[action].includes(role));
      }
    }
    expect([...allowedFrom("requestRefund", "customer")].sort()).toEqual(["COMPLETED", "DELIVERED"]);
    expect([...allowedFrom("requestRefund", "admin")].sort()).toEqual(["COMPLETED", "DELIVERED", "REFUND_FAILED"]);
  });

  it("maps store-settable targets to actions", () => {
    expect(STORE_SETTABLE_STATUSES.map((s) => actionForTargetStatus(s))).toEqual([
      "markReadyForDelivery",
      "startDelivery",
      "markDelivered",
      "complete",
      "reject",
    ]);
    for (const s of STORE_SETTABLE_STATUSES) expect(targetStatus(actionForTargetStatus(s))).toBe(s);
    expect(actionForTargetStatus("PAYMENT_COMPLETED")).toBeUndefined();
  });
});

describe("walking every allowed (from, action, role)", () => {
  const cases = Object.entries(EXPECTED).map(([key, to]) => {
    const [from, action, role] = key.split(" ") as [OrderStatus, OrderAction, Role];
    return { from, action, role, to };
  });

  it.each(cases)("$from --$action($role)--> $to", ({ from, action, role, to }) => {
    const { order, ctx, result } = run(from, action, role);
    const r = result();
    expect(r.order.status).toBe(to);
    expect(r.previous).toBe(order);
    expect(r.order.version).toBe(order.version + 1);
    expect(r.order.updatedAt).toBe(ctx.now);
    expect(r.order.createdAt).toBe(order.createdAt);
    expect(r.order.failureReason === null).toBe(!requiresFailureReason(to));
    if (requiresFailureReason(to)) expect(r.order.failureReason).not.toBe("");
    // the input was not mutated
    expect(order.status).toBe(from);

    const expectedEvent = EVENT_OF[action];
    expect(r.events.map((e) => e.type)).toEqual(expectedEvent === null ? [] : [expectedEvent]);
    if (expectedEvent === null) {
      expect(r.audit).toHaveLength(1);
      expect(r.audit[0]?.eventType).toBe(AUDIT_WITHOUT_EVENT[action]);
    } else {
      expect(r.audit).toHaveLength(r.events.length);
      r.events.forEach((e, i) => {
        expect(r.audit[i]?.eventId).toBe(e.eventId);
        expect(r.audit[i]?.eventType).toBe(EVENT_AUDIT_TYPE[e.type]);
        expect(e.orderId).toBe(order.id);
        expect(e.actor).toEqual({ userId: ctx.actor.userId, role });
        expect(e.occurredAt).toBe(ctx.now.toISOString());
        expect(domainEventSchema.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
      });
    }
    for (const a of r.audit) {
      expect(a.orderId).toBe(order.id);
      expect(a.actorUserId).toBe(ctx.actor.userId);
      expect(a.recordedAt).toBe(ctx.now);
      expect(a.changeSummary).toMatch(/^[A-Z].*\.$/);
      expect(a.metadata).toMatchObject({ actorRole: role, previousStatus: from, newStatus: to, action });
    }
    // audit ids are distinct from each other and from the events'
    expect(new Set(r.audit.map((a) => a.eventId)).size).toBe(r.audit.length);
  });
});

describe("every other (status, action, role) is refused", () => {
  const cases: { status: OrderStatus; action: OrderAction; role: Role }[] = [];
  for (const status of ORDER_STATUSES)
    for (const action of ORDER_ACTIONS)
      for (const role of ROLES) if (EXPECTED[`${status} ${action} ${role}`] === undefined) cases.push({ status, action, role });

  it("covers all combinations", () => {
    expect(cases.length + Object.keys(EXPECTED).length).toBe(ORDER_STATUSES.length * ORDER_ACTIONS.length * ROLES.length);
  });

  it.each(cases)("$status × $action by $role", ({ status, action, role }) => {
    const { order, result } = run(status, action, role);
    expect(findTransition(status, action, role)).toBeUndefined();
    let caught: unknown;
    try {
      result();
    } catch (e) {
      caught = e;
    }
    if (roleMayEver(role, action)) {
      expect(caught).toBeInstanceOf(InvalidStateTransition);
      expect(caught).toMatchObject({ code: "INVALID_STATE_TRANSITION", from: status, action });
    } else {
      expect(caught).toBeInstanceOf(ForbiddenAction);
      expect(caught).toMatchObject({ code: "FORBIDDEN", role, action });
    }
    expect(order.status).toBe(status);
  });
});
