import { deterministicUuid } from "../deterministic-id.ts";
import type { Handler } from "../handler.ts";
import { keptCapture } from "../kept-capture.ts";
import { orderLabel } from "../order-label.ts";
import { refundCapture } from "../payment-refund.ts";

/**
 * Gives the stock back (the API already did; release is idempotent) and, when the order was
 * paid, refunds the capture that paid it through the PG and records the refund on the capture,
 * the payment, the order and the audit.
 */
export const handleOrderCancelled: Handler<"OrderCancelled"> = async (event, ctx) => {
  if (event.reservationId) {
    await ctx.stock.release(event.reservationId, event.rejectedByStore ? "REJECTED" : "CANCELLED");
  }
  if (!event.paid || !event.paymentId) {
    if (!event.reservationId) await ctx.job.note(`order ${event.orderId} was cancelled unpaid and held no stock: nothing to give back`);
    return;
  }
  const paymentId = event.paymentId;
  const order = await ctx.orders.find(event.orderId);
  const kept = await keptCapture(ctx, order ?? { id: event.orderId }, paymentId);
  const refund = await refundCapture(
    ctx,
    {
      orderId: event.orderId,
      paymentId,
      captureId: kept.captureId,
      amount: kept.amount,
      reason: event.reason,
      idempotencyKey: `cancel-${event.eventId}`,
    },
    {
      recordOnOrder: true,
      audit: {
        eventId: deterministicUuid(`payment-refunded:${event.eventId}`),
        type: "PAYMENT_REFUNDED",
        changeSummary: ({ refundId, amount }) =>
          `Payment ${paymentId} of ${amount} refunded (refund ${refundId}) after the order was ${
            event.rejectedByStore ? "rejected by the store" : "cancelled"
          }.`,
        metadata: { rejectedByStore: event.rejectedByStore, cancelEventId: event.eventId },
      },
    },
  );
  if (refund.alreadyRecorded) {
    await ctx.job.note(`${orderLabel(event.orderId, order)}: capture ${kept.captureId} was already refunded (refund ${refund.refundId})`);
    return;
  }
  ctx.metrics.inc("payments_refunded_total", { kind: "PAYMENT_REFUNDED" });
};
