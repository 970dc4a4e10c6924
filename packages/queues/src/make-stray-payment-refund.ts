import type { StrayPaymentRefund, StrayRefundReason } from "./stray-payment-refund.ts";

/**
 * The outbox payload the webhook writes for a PAID it cannot apply, in the statement that
 * records the webhook (`OrderWrite.events`); the relay routes it to the "payment-refunds" queue.
 */
export function makeStrayPaymentRefund(input: {
  eventId: string;
  orderId: string;
  paymentId: string;
  amount: number;
  reason: StrayRefundReason;
  pgTransactionId: string;
  now: Date;
}): StrayPaymentRefund {
  return {
    type: "StrayPaymentRefund",
    eventId: input.eventId,
    orderId: input.orderId,
    actor: { userId: null, role: "system" },
    occurredAt: input.now.toISOString(),
    paymentId: input.paymentId,
    amount: input.amount,
    reason: input.reason,
    pgTransactionId: input.pgTransactionId,
  };
}
