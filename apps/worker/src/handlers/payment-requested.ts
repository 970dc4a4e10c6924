import { orderRepository } from "@order-flow/db";
import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";

/** Opens the payment at the PG while it is still the order's current, pending payment. */
export const handlePaymentRequested: Handler<"PaymentRequested"> = async (event, ctx) => {
  const order = await orderRepository.findById(ctx.prisma, event.orderId);
  if (!order || order.status !== "PAYMENT_PENDING" || order.paymentId !== event.paymentId) {
    await ctx.job.note(
      `${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"} with payment ${order?.paymentId ?? "none"}: payment ${event.paymentId} is not opened at the PG`,
    );
    return;
  }
  await ctx.gateway.requestPayment({ paymentId: event.paymentId, orderId: event.orderId, amount: event.amount });
};
