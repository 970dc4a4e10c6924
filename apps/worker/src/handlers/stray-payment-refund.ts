import { deterministicUuid } from "../deterministic-id.ts";
import type { Handler } from "../handler.ts";
import { refundPayment } from "../payment-refund.ts";

const WHY = {
  NOT_PENDING: "the order was no longer waiting for payment",
  NOT_CURRENT_PAYMENT: "it is not the order's current payment",
  AMOUNT_MISMATCH: "the amount differs from the order total",
} as const;

/** A PAID that the order could not take (late, not current, wrong amount): refund it, audit once. */
export const handleStrayPaymentRefund: Handler<"StrayPaymentRefund"> = async (event, ctx) => {
  await refundPayment(ctx, {
    orderId: event.orderId,
    paymentId: event.paymentId,
    amount: event.amount,
    captureId: event.pgTransactionId ?? null,
    reason: event.reason,
    idempotencyKey: event.eventId,
    auditEventId: deterministicUuid(`stray-refund:${event.eventId}`),
    auditType: event.reason === "AMOUNT_MISMATCH" ? "PAYMENT_AMOUNT_MISMATCH_REFUNDED" : "LATE_PAYMENT_REFUNDED",
    changeSummary: (refundId) =>
      `Payment ${event.paymentId} of ${event.amount} was refunded automatically (refund ${refundId}) because ${WHY[event.reason]}.`,
    metadata: { strayEventId: event.eventId, pgTransactionId: event.pgTransactionId ?? null },
    recordOnOrder: false,
  });
};
