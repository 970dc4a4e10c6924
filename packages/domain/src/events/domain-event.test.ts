import { describe, expect, it } from "vitest";
import { ORDER_AUDIT_EVENT_TYPES } from "../audit/order-audit-event-type.ts";
import { DOMAIN_EVENT_SCHEMAS, DOMAIN_EVENT_TYPES, EVENT_AUDIT_TYPE, domainEventSchema } from "./domain-event.ts";
import { makeOrderTimeoutEvent } from "./make-order-timeout-event.ts";

describe("domain events", () => {
  it("has 8 types, each with a schema and an audit type", () => {
    expect(DOMAIN_EVENT_TYPES).toHaveLength(8);
    for (const t of DOMAIN_EVENT_TYPES) {
      expect(DOMAIN_EVENT_SCHEMAS[t]).toBeDefined();
      expect(ORDER_AUDIT_EVENT_TYPES).toContain(EVENT_AUDIT_TYPE[t]);
    }
  });

  it("audit types about money going back contain REFUND", () => {
    const moneyBack = ORDER_AUDIT_EVENT_TYPES.filter((t) => /REFUND/.test(t));
    expect(moneyBack).toEqual(
      expect.arrayContaining([
        "ORDER_REFUNDED",
        "REFUND_COMPLETED",
        "REFUND_FAILED",
        "LATE_PAYMENT_REFUNDED",
        "PAYMENT_REFUNDED",
        "PAYMENT_AMOUNT_MISMATCH_REFUNDED",
      ]),
    );
    expect(new Set(ORDER_AUDIT_EVENT_TYPES).size).toBe(ORDER_AUDIT_EVENT_TYPES.length);
  });

  it("makeOrderTimeoutEvent builds a system OrderTimeout that survives JSON", () => {
    const e = makeOrderTimeoutEvent({
      eventId: "5f6a7b8c-9d0e-4f1a-9b2c-3d4e5f6a7b8c",
      orderId: "3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c",
      expiresAt: new Date("2026-11-24T10:10:00Z"),
      now: new Date("2026-11-24T10:10:00.250Z"),
    });
    expect(e).toEqual({
      type: "OrderTimeout",
      eventId: "5f6a7b8c-9d0e-4f1a-9b2c-3d4e5f6a7b8c",
      orderId: "3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c",
      actor: { userId: null, role: "system" },
      occurredAt: "2026-11-24T10:10:00.250Z",
      expiresAt: "2026-11-24T10:10:00.000Z",
    });
    expect(domainEventSchema.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it("rejects an unknown type", () => {
    expect(domainEventSchema.safeParse({ type: "OrderShipped" }).success).toBe(false);
  });
});
