import { describe, expect, it } from "vitest";
import { DomainValidationError, ForbiddenAction, InvalidStateTransition, PaymentMismatch } from "../errors.ts";
import { domainEventSchema, DOMAIN_EVENT_SCHEMAS } from "../events/domain-event.ts";
import { fromOrderSnapshot } from "../events/order-snapshot.ts";
import {
  ACTORS,
  AFTER_DEADLINE,
  BEFORE_DEADLINE,
  CREATED_AT,
  EXPIRES_AT,
  ORDER_ID,
  PAYMENT_ID,
  PRODUCT_A,
  PRODUCT_B,
  RESERVATION_ID,
  STORE_ID,
  USER_ID,
  ctxFor,
  orderIn,
} from "../testing/order-fixtures.ts";
import { SYSTEM_ACTOR, canView } from "./actor.ts";
import type { Actor } from "./actor.ts";
import type { CreateOrderInput } from "./order-action-args.ts";
import { Order } from "./order.ts";

const input: CreateOrderInput = {
  id: ORDER_ID,
  orderNumber: "ORD-20261124-8F3K2Q",
  userId: USER_ID,
  storeId: STORE_ID,
  items: [
    { productId: PRODUCT_A, productName: "Americano", unitPrice: 4500, quantity: 2 },
    { productId: PRODUCT_B, productName: "Bagel", unitPrice: 3000, quantity: 1 },
  ],
  expiresAt: EXPIRES_AT,
};

function roundTrip(event: unknown) {
  return domainEventSchema.parse(JSON.parse(JSON.stringify(event)));
}

describe("Order.create", () => {
  it("creates a PENDING order at version 0 with its total and an OrderCreated event", () => {
    const ctx = ctxFor(ACTORS.customer, CREATED_AT);
    const r = Order.create(input, ctx);
    expect(r.previous).toBeNull();
    expect(r.order).toMatchObject({
      status: "PENDING",
      version: 0,
      totalAmount: 12000,
      reservationId: null,
      paymentId: null,
      failureReason: null,
      createdAt: CREATED_AT,
      updatedAt: CREATED_AT,
      expiresAt: EXPIRES_AT,
    });
    expect(r.order.items).toEqual(input.items);
    expect(r.order.items).not.toBe(input.items);
    expect(r.events).toHaveLength(1);
    const e = r.events[0];
    expect(e).toMatchObject({
      type: "OrderCreated",
      orderId: ORDER_ID,
      userId: USER_ID,
      storeId: STORE_ID,
      totalAmount: 12000,
      expiresAt: EXPIRES_AT.toISOString(),
      actor: { userId: USER_ID, role: "customer" },
    });
    expect(roundTrip(e)).toEqual(e);
    expect(r.audit).toHaveLength(1);
    expect(r.audit[0]).toMatchObject({ eventId: e?.eventId, eventType: "ORDER_CREATED", actorUserId: USER_ID });
  });

  it.each([
    ["no items", { items: [] }],
    ["quantity 0", { items: [{ productId: PRODUCT_A, productName: "x", unitPrice: 1, quantity: 0 }] }],
    ["quantity 100", { items: [{ productId: PRODUCT_A, productName: "x", unitPrice: 1, quantity: 100 }] }],
    ["fractional quantity", { items: [{ productId: PRODUCT_A, productName: "x", unitPrice: 1, quantity: 1.5 }] }],
    ["negative price", { items: [{ productId: PRODUCT_A, productName: "x", unitPrice: -1, quantity: 1 }] }],
    ["fractional price", { items: [{ productId: PRODUCT_A, productName: "x", unitPrice: 10.5, quantity: 1 }] }],
    [
      "duplicate products",
      {
        items: [
          { productId: PRODUCT_A, productName: "x", unitPrice: 1, quantity: 1 },
          { productId: PRODUCT_A, productName: "x", unitPrice: 1, quantity: 1 },
        ],
      },
    ],
    [
      "51 items",
      {
        items: Array.from({ length: 51 }, (_, i) => ({ productId: `p${i}`, productName: "x", unitPrice: 1, quantity: 1 })),
      },
    ],
    ["invalid expiresAt", { expiresAt: new Date("nope") }],
  ])("refuses %s with VALIDATION_FAILED", (_name, patch) => {
    expect(() => Order.create({ ...input, ...patch }, ctxFor(ACTORS.customer, CREATED_AT))).toThrow(
      DomainValidationError,
    );
  });

  it("refuses a store, and a customer ordering for someone else", () => {
    expect(() => Order.create(input, ctxFor(ACTORS.store))).toThrow(ForbiddenAction);
    expect(() => Order.create(input, ctxFor(ACTORS.otherCustomer))).toThrow(ForbiddenAction);
    expect(Order.create(input, ctxFor(ACTORS.admin)).order.status).toBe("PENDING");
  });
});

describe("a full happy path", () => {
  it("goes PENDING → … → REFUND_COMPLETED with versions 0..n", () => {
    const ctx = (actor: Actor, now = BEFORE_DEADLINE) => ctxFor(actor, now);
    let o = Order.create(input, ctx(ACTORS.customer, CREATED_AT)).order;
    o = Order.reserveStock(o, ctx(SYSTEM_ACTOR), { reservationId: RESERVATION_ID, expiresAt: EXPIRES_AT }).order;
    o = Order.requestPayment(o, ctx(ACTORS.customer), { paymentId: PAYMENT_ID }).order;
    o = Order.completePayment(o, ctx(SYSTEM_ACTOR, AFTER_DEADLINE), {
      paymentId: PAYMENT_ID,
      amount: 12000,
      pgTransactionId: "tx",
    }).order;
    o = Order.confirm(o, ctx(SYSTEM_ACTOR)).order;
    expect(o.confirmedAt).toEqual(BEFORE_DEADLINE);
    o = Order.startPreparing(o, ctx(SYSTEM_ACTOR)).order;
    o = Order.markReadyForDelivery(o, ctx(ACTORS.store)).order;
    o = Order.startDelivery(o, ctx(ACTORS.store)).order;
    o = Order.markDelivered(o, ctx(ACTORS.admin)).order;
    o = Order.complete(o, ctx(ACTORS.customer)).order;
    o = Order.requestRefund(o, ctx(ACTORS.customer), { reason: "stale" }).order;
    o = Order.failRefund(o, ctx(SYSTEM_ACTOR), { reason: "PG down" }).order;
    expect(o.failureReason).toBe("PG down");
    expect(() => Order.requestRefund(o, ctx(ACTORS.customer))).toThrow(InvalidStateTransition);
    o = Order.requestRefund(o, ctx(ACTORS.admin)).order;
    expect(o.failureReason).toBeNull();
    o = Order.completeRefund(o, ctx(SYSTEM_ACTOR), { refundId: "rf_9" }).order;
    expect(o).toMatchObject({ status: "REFUND_COMPLETED", refundId: "rf_9", version: 13, failureReason: null });
  });
});

describe("payloads", () => {
  it("reserveStock sets reservationId and raises StockReserved with stock lines", () => {
    const r = Order.reserveStock(orderIn("PENDING"), ctxFor(SYSTEM_ACTOR), {
      reservationId: "res-1",
      expiresAt: EXPIRES_AT,
    });
    expect(r.order.reservationId).toBe("res-1");
    expect(r.events[0]).toMatchObject({
      type: "StockReserved",
      reservationId: "res-1",
      storeId: STORE_ID,
      items: [
        { productId: PRODUCT_A, quantity: 2 },
        { productId: PRODUCT_B, quantity: 1 },
      ],
      actor: { userId: null, role: "system" },
    });
    expect(r.audit[0]?.actorUserId).toBeNull();
  });

  it("failReservation sets failureReason", () => {
    const r = Order.failReservation(orderIn("PENDING"), ctxFor(SYSTEM_ACTOR), { reason: "OUT_OF_STOCK" });
    expect(r.order.failureReason).toBe("OUT_OF_STOCK");
    expect(r.events).toEqual([]);
  });

  it("requestPayment after a failure clears failureReason and sets the new paymentId", () => {
    const r = Order.requestPayment(orderIn("PAYMENT_FAILED"), ctxFor(ACTORS.customer), { paymentId: "p-2" });
    expect(r.order).toMatchObject({ status: "PAYMENT_PENDING", paymentId: "p-2", failureReason: null });
    expect(r.events[0]).toMatchObject({ type: "PaymentRequested", paymentId: "p-2", amount: 12000 });
  });

  it("completePayment refuses another payment id or another amount", () => {
    const o = orderIn("PAYMENT_PENDING");
    const ctx = ctxFor(SYSTEM_ACTOR);
    expect(() => Order.completePayment(o, ctx, { paymentId: "other", amount: 12000, pgTransactionId: "t" })).toThrow(
      PaymentMismatch,
    );
    expect(() => Order.completePayment(o, ctx, { paymentId: PAYMENT_ID, amount: 11999, pgTransactionId: "t" })).toThrow(
      expect.objectContaining({ code: "PAYMENT_MISMATCH", kind: "AMOUNT", expected: 12000, actual: 11999 }),
    );
    expect(() => Order.failPayment(o, ctx, { paymentId: "other", reason: "x" })).toThrow(PaymentMismatch);
  });

  it("completePayment after the deadline still completes (the deadline is judged at acceptance)", () => {
    const r = Order.completePayment(orderIn("PAYMENT_PENDING"), ctxFor(SYSTEM_ACTOR, AFTER_DEADLINE), {
      paymentId: PAYMENT_ID,
      amount: 12000,
      pgTransactionId: "t",
    });
    expect(r.order.status).toBe("PAYMENT_COMPLETED");
  });

  it("checkPaidPayment classifies PAID results", () => {
    expect(Order.checkPaidPayment(orderIn("PAYMENT_PENDING"), { paymentId: PAYMENT_ID, amount: 12000 })).toEqual({
      kind: "complete",
    });
    expect(Order.checkPaidPayment(orderIn("PAYMENT_PENDING"), { paymentId: PAYMENT_ID, amount: 1 })).toEqual({
      kind: "amountMismatch",
      expected: 12000,
      actual: 1,
    });
    expect(Order.checkPaidPayment(orderIn("PAYMENT_PENDING"), { paymentId: "old", amount: 12000 })).toEqual({
      kind: "refund",
      why: "NOT_CURRENT_PAYMENT",
    });
    for (const s of ["PAYMENT_TIMEOUT", "ORDER_CANCELLED", "PAYMENT_COMPLETED"] as const) {
      expect(Order.checkPaidPayment(orderIn(s), { paymentId: PAYMENT_ID, amount: 12000 })).toEqual({
        kind: "refund",
        why: "NOT_PENDING",
      });
    }
  });

  it.each([
    ["PENDING", false, false],
    ["STOCK_RESERVED", false, false],
    ["PAYMENT_PENDING", false, false],
    ["PAYMENT_FAILED", false, false],
    ["PAYMENT_COMPLETED", true, false],
    ["ORDER_CONFIRMED", true, true],
  ] as const)("cancel from %s: paid=%s stockSold=%s", (from, paid, stockSold) => {
    const ctx = ctxFor(ACTORS.customer);
    const r = Order.cancel(orderIn(from), ctx);
    expect(r.order).toMatchObject({ status: "ORDER_CANCELLED", cancelledAt: ctx.now, failureReason: "Cancelled by the customer" });
    const e = r.events[0];
    expect(e).toMatchObject({
      type: "OrderCancelled",
      previousStatus: from,
      paid,
      stockSold,
      rejectedByStore: false,
      amount: 12000,
      reason: "Cancelled by the customer",
    });
    expect(roundTrip(e)).toEqual(e);
  });

  it("cancel keeps the client's reason; an admin's default differs", () => {
    expect(Order.cancel(orderIn("STOCK_RESERVED"), ctxFor(ACTORS.customer), { reason: " too slow " }).order.failureReason).toBe(
      "too slow",
    );
    expect(Order.cancel(orderIn("STOCK_RESERVED"), ctxFor(ACTORS.admin), { reason: "" }).order.failureReason).toBe(
      "Cancelled by an admin",
    );
  });

  it("reject raises OrderCancelled with rejectedByStore, paid and stockSold", () => {
    const ctx = ctxFor(ACTORS.store);
    const r = Order.reject(orderIn("PREPARING"), ctx, { reason: "closed" });
    expect(r.order).toMatchObject({ status: "STORE_REJECTED", failureReason: "closed", cancelledAt: ctx.now });
    expect(r.events[0]).toMatchObject({
      type: "OrderCancelled",
      rejectedByStore: true,
      paid: true,
      stockSold: true,
      previousStatus: "PREPARING",
      paymentId: PAYMENT_ID,
      reservationId: RESERVATION_ID,
    });
    expect(r.audit[0]).toMatchObject({ eventType: "ORDER_CANCELLED", eventId: r.events[0]?.eventId });
  });

  it("requestRefund raises OrderRefunded REQUESTED", () => {
    const r = Order.requestRefund(orderIn("DELIVERED"), ctxFor(ACTORS.customer));
    expect(r.events[0]).toMatchObject({ type: "OrderRefunded", phase: "REQUESTED", amount: 12000, paymentId: PAYMENT_ID, reason: null });
    expect(r.audit[0]?.eventType).toBe("ORDER_REFUNDED");
  });

  it("store status changes record the optional reason", () => {
    const decision = Order.decide(orderIn("PREPARING"), "markReadyForDelivery", ctxFor(ACTORS.store), { reason: "packed" });
    if (!decision.applies) throw decision.why;
    const r = decision.result;
    expect(r.audit[0]?.metadata).toMatchObject({ reason: "packed" });
    expect(r.audit[0]?.changeSummary).toContain("packed");
  });

  it("every audit type about money going back contains REFUND", () => {
    const r = Order.completeRefund(orderIn("REFUND_REQUESTED"), ctxFor(SYSTEM_ACTOR), { refundId: "rf" });
    expect(r.audit[0]?.eventType).toContain("REFUND");
    expect(r.order.refundId).toBe("rf");
  });
});

describe("timeout", () => {
  it.each(["STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED"] as const)("is refused before expiresAt from %s", (s) => {
    expect(() => Order.timeout(orderIn(s), ctxFor(SYSTEM_ACTOR, BEFORE_DEADLINE))).toThrow(InvalidStateTransition);
    expect(Order.can(orderIn(s), SYSTEM_ACTOR, "timeout", BEFORE_DEADLINE)).toBe(false);
    expect(Order.can(orderIn(s), SYSTEM_ACTOR, "timeout", AFTER_DEADLINE)).toBe(true);
  });

  it("happens at the deadline exactly, and uses the given eventId for its ORDER_TIMEOUT audit", () => {
    const r = Order.timeout(orderIn("PAYMENT_PENDING"), ctxFor(SYSTEM_ACTOR, EXPIRES_AT), { eventId: "evt-timeout-1" });
    expect(r.order).toMatchObject({ status: "PAYMENT_TIMEOUT" });
    expect(r.order.failureReason).toMatch(/deadline/);
    expect(r.events).toEqual([]);
    expect(r.audit).toHaveLength(1);
    expect(r.audit[0]).toMatchObject({ eventId: "evt-timeout-1", eventType: "ORDER_TIMEOUT", actorUserId: null });
  });

  it("uses a fresh id without one, and is refused once paid or cancelled", () => {
    const r = Order.timeout(orderIn("STOCK_RESERVED"), ctxFor(SYSTEM_ACTOR, AFTER_DEADLINE));
    expect(r.audit[0]?.eventId).toMatch(/^[0-9a-f-]{36}$/);
    for (const s of ["PAYMENT_COMPLETED", "ORDER_CANCELLED", "PAYMENT_TIMEOUT", "ORDER_CONFIRMED"] as const) {
      expect(() => Order.timeout(orderIn(s), ctxFor(SYSTEM_ACTOR, AFTER_DEADLINE))).toThrow(InvalidStateTransition);
    }
  });
});

describe("actors", () => {
  const order = { userId: USER_ID, storeId: STORE_ID };

  it("canView: customer own orders, store its store, admin and system all", () => {
    expect(canView(ACTORS.customer, order)).toBe(true);
    expect(canView(ACTORS.otherCustomer, order)).toBe(false);
    expect(canView(ACTORS.store, order)).toBe(true);
    expect(canView(ACTORS.otherStore, order)).toBe(false);
    expect(canView(ACTORS.admin, order)).toBe(true);
    expect(canView(SYSTEM_ACTOR, order)).toBe(true);
    expect(canView({ role: "store", userId: "u", storeId: null }, order)).toBe(false);
    expect(canView({ role: "customer", userId: null, storeId: null }, order)).toBe(false);
  });

  it("refuses a customer acting on someone else's order with FORBIDDEN", () => {
    expect(() => Order.cancel(orderIn("STOCK_RESERVED"), ctxFor(ACTORS.otherCustomer))).toThrow(ForbiddenAction);
    expect(() => Order.requestPayment(orderIn("STOCK_RESERVED"), ctxFor(ACTORS.otherCustomer), { paymentId: "p" })).toThrow(
      ForbiddenAction,
    );
    expect(() => Order.complete(orderIn("DELIVERED"), ctxFor(ACTORS.otherCustomer))).toThrow(ForbiddenAction);
    expect(() => Order.requestRefund(orderIn("DELIVERED"), ctxFor(ACTORS.otherCustomer))).toThrow(ForbiddenAction);
  });

  it("refuses a store acting on another store's order with FORBIDDEN", () => {
    expect(() => Order.markReadyForDelivery(orderIn("PREPARING"), ctxFor(ACTORS.otherStore))).toThrow(ForbiddenAction);
    expect(() => Order.reject(orderIn("PREPARING"), ctxFor(ACTORS.otherStore))).toThrow(ForbiddenAction);
  });

  it("checks the role before ownership and ownership before state", () => {
    // a store may never pay, whatever the order and status
    expect(() => Order.requestPayment(orderIn("COMPLETED"), ctxFor(ACTORS.otherStore), { paymentId: "p" })).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
    // not its order, wrong state too: FORBIDDEN
    expect(() => Order.cancel(orderIn("DELIVERED"), ctxFor(ACTORS.otherCustomer))).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
    // its order, wrong state
    expect(() => Order.cancel(orderIn("PREPARING"), ctxFor(ACTORS.customer))).toThrow(
      expect.objectContaining({ code: "INVALID_STATE_TRANSITION", from: "PREPARING", action: "cancel" }),
    );
  });

  it("can / availableActions reflect role, ownership and status", () => {
    expect(Order.availableActions(orderIn("PREPARING"), ACTORS.store)).toEqual(["markReadyForDelivery", "reject"]);
    expect(Order.availableActions(orderIn("PREPARING"), ACTORS.otherStore)).toEqual([]);
    expect(Order.availableActions(orderIn("DELIVERED"), ACTORS.customer)).toEqual(["complete", "requestRefund"]);
    expect(Order.availableActions(orderIn("REFUND_FAILED"), ACTORS.admin)).toEqual(["requestRefund"]);
    expect(Order.availableActions(orderIn("REFUND_FAILED"), ACTORS.customer)).toEqual([]);
    expect(Order.can(orderIn("STOCK_RESERVED"), ACTORS.customer, "requestPayment")).toBe(true);
    expect(Order.can(orderIn("STOCK_RESERVED"), ACTORS.admin, "requestPayment")).toBe(false);
  });
});

describe("events", () => {
  it("every schema rejects a foreign type and a bad timestamp", () => {
    const r = Order.requestPayment(orderIn("STOCK_RESERVED"), ctxFor(ACTORS.customer), { paymentId: PAYMENT_ID });
    const e = r.events[0];
    expect(DOMAIN_EVENT_SCHEMAS.PaymentRequested.parse(e)).toEqual(e);
    expect(DOMAIN_EVENT_SCHEMAS.PaymentCompleted.safeParse(e).success).toBe(false);
    expect(domainEventSchema.safeParse({ ...e, occurredAt: "yesterday" }).success).toBe(false);
    expect(domainEventSchema.safeParse({ ...e, eventId: "nope" }).success).toBe(false);
  });
});

describe("Order.decide (decisions as values)", () => {
  it("answers the transition when the action applies", () => {
    const decision = Order.decide(orderIn("PAYMENT_COMPLETED"), "confirm", ctxFor(SYSTEM_ACTOR));
    expect(decision.applies && decision.result.order.status).toBe("ORDER_CONFIRMED");
  });

  it("answers why not, with the error the API maps (409, 403, payment mismatch), instead of throwing", () => {
    const late = Order.decide(orderIn("PREPARING"), "confirm", ctxFor(SYSTEM_ACTOR));
    expect(!late.applies && late.why).toBeInstanceOf(InvalidStateTransition);
    const forbidden = Order.decide(orderIn("PREPARING"), "markReadyForDelivery", ctxFor(ACTORS.customer));
    expect(!forbidden.applies && forbidden.why).toBeInstanceOf(ForbiddenAction);
    const other = Order.decide(orderIn("PAYMENT_PENDING"), "failPayment", ctxFor(SYSTEM_ACTOR), { paymentId: "another", reason: "x" });
    expect(!other.applies && other.why).toBeInstanceOf(PaymentMismatch);
  });

  it("the events that start worker steps carry the order as it was left, and survive JSON", () => {
    const decision = Order.decide(orderIn("PAYMENT_COMPLETED"), "confirm", ctxFor(SYSTEM_ACTOR));
    if (!decision.applies) throw decision.why;
    const event = decision.result.events[0]!;
    const parsed = domainEventSchema.parse(JSON.parse(JSON.stringify(event)));
    expect(parsed.type === "OrderConfirmed" && parsed.orderState && fromOrderSnapshot(parsed.orderState)).toEqual(decision.result.order);
    // An event written before the field existed still parses.
    const { orderState: _dropped, ...older } = event as typeof event & { orderState?: unknown };
    expect(domainEventSchema.safeParse(older).success).toBe(true);
  });
});
