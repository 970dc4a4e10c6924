import { orderRepository } from "@order-flow/db";
import type { OrderStatus } from "@order-flow/domain";
import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";
import { scheduleOrderTimeout } from "../order-timeout-job.ts";

/** Statuses in which the payment deadline still matters. */
const AWAITING_PAYMENT: ReadonlySet<OrderStatus> = new Set(["PENDING", "STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED"]);

/** Schedules the payment timeout at expiresAt (jobId timeout-<orderId>: a repeat adds nothing). */
export const handleOrderCreated: Handler<"OrderCreated"> = async (event, ctx) => {
  const order = await orderRepository.findById(ctx.prisma, event.orderId);
  if (!order) {
    ctx.log.warn({ orderId: event.orderId }, "OrderCreated for an unknown order; ignored");
    await ctx.job.note(`order ${event.orderId} does not exist: nothing to schedule`);
    return;
  }
  if (!AWAITING_PAYMENT.has(order.status)) {
    await ctx.job.note(`${orderLabel(order.id, order)} is ${order.status}: no payment deadline to schedule`);
    return;
  }
  await scheduleOrderTimeout(ctx, order.id, order.expiresAt, order.orderNumber);
};
