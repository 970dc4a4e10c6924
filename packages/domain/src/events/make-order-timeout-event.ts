import type { OrderTimeout } from "./order-timeout.ts";

/** The OrderTimeout event the scheduler publishes when an order's deadline passes. */
export function makeOrderTimeoutEvent(input: {
  eventId: string;
  orderId: string;
  expiresAt: Date;
  now: Date;
}): OrderTimeout {
  return {
    type: "OrderTimeout",
    eventId: input.eventId,
    orderId: input.orderId,
    actor: { userId: null, role: "system" },
    occurredAt: input.now.toISOString(),
    expiresAt: input.expiresAt.toISOString(),
  };
}
