import { deterministicUuid } from "../deterministic-id.ts";
import type { Handler } from "../handler.ts";
import { refundPayment } from "../payment-refund.ts";

/**
 * Gives the stock back (the API already did; release is idempotent) and, when the order was
 * paid, refunds through the PG and records the refund on the payment, the order and the audit.
 */
export const handleOrderCancelled: Handler<"OrderCancelled"> = async (event, ctx) => {
  if (event.reservationId) {
    await ctx.stock.release(event.reservationId, event.rejectedByStore ? "REJECTED" : "CANCELLED");
  }
  if (!event.paid || !event.paymentId) return;
  await refundPayment(ctx, {
    orderId: event.orderId,
    paymentId: event.paymentId,
    amount: event.amount,
    reason: event.reason,
    idempotencyKey: `cancel-${event.eventId}`,
    auditEventId: deterministicUuid(`payment-refunded:${event.eventId}`),
    auditType: "PAYMENT_REFUNDED",
    changeSummary: (refundId) =>
      `Payment ${event.paymentId} of ${event.amount} refunded (refund ${refundId}) after the order was ${
        event.rejectedByStore ? "rejected by the store" : "cancelled"
      }.`,
    metadata: { rejectedByStore: event.rejectedByStore, cancelEventId: event.eventId },
    recordOnOrder: true,
  });
};
