import { deterministicUuid } from "../deterministic-id.ts";
import type { Handler } from "../handler.ts";
import { refundCapture } from "../payment-refund.ts";

const WHY = {
  NOT_PENDING: "the order was no longer waiting for payment",
  NOT_CURRENT_PAYMENT: "it is not the order's current payment",
  AMOUNT_MISMATCH: "the amount differs from the order total",
} as const;

/**
 * A PAID that the order could not take (late, not current, a second capture, wrong amount):
 * that one capture goes back, exactly what it took, with a refund of its own; audited once.
 */
export const handleStrayPaymentRefund: Handler<"StrayPaymentRefund"> = async (event, ctx) => {
  const type = event.reason === "AMOUNT_MISMATCH" ? "PAYMENT_AMOUNT_MISMATCH_REFUNDED" : "LATE_PAYMENT_REFUNDED";
  const refund = await refundCapture(
    ctx,
    {
      orderId: event.orderId,
      paymentId: event.paymentId,
      captureId: event.pgTransactionId,
      amount: event.amount,
      reason: event.reason,
      idempotencyKey: event.eventId,
    },
    {
      audit: {
        eventId: deterministicUuid(`stray-refund:${event.eventId}`),
        type,
        changeSummary: ({ refundId, amount }) =>
          `Capture ${event.pgTransactionId} of payment ${event.paymentId} (${amount}) was refunded automatically (refund ${refundId}) because ${WHY[event.reason]}.`,
        metadata: { strayEventId: event.eventId },
      },
    },
  );
  if (refund.alreadyRecorded) {
    await ctx.job.note(`order ${event.orderId}: capture ${event.pgTransactionId} was already refunded (refund ${refund.refundId})`);
    return;
  }
  ctx.metrics.inc("payments_refunded_total", { kind: type });
};
