import { Order, fromOrderSnapshot } from "@order-flow/domain";
import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";

/**
 * Opens the payment at the PG while it is the order's current, pending payment. The event says
 * so (the order as the request left it); an event written before it carried the order is
 * judged on a read. Opening a payment for an order that has moved since (timed out, cancelled)
 * takes no money, and money paid into it anyway is refunded by the webhook (late or not the
 * current payment), so no read is spent guarding against that.
 */
export const handlePaymentRequested: Handler<"PaymentRequested"> = async (event, ctx) => {
  const order = event.orderState ? fromOrderSnapshot(event.orderState) : await ctx.orders.find(event.orderId);
  const pending = order ? Order.pendingPayment(order) : null;
  if (pending !== event.paymentId) {
    await ctx.job.note(
      `${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"} with payment ${order?.paymentId ?? "none"}: payment ${event.paymentId} is not opened at the PG`,
    );
    return;
  }
  await ctx.gateway.requestPayment({ paymentId: event.paymentId, orderId: event.orderId, amount: event.amount });
};
