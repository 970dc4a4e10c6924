import { orderRepository } from "@order-flow/db";
import { Order } from "@order-flow/domain";
import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";
import { removeOrderTimeout } from "../order-timeout-job.ts";
import { transitionOrder } from "../order-transition.ts";
import { systemContext } from "../system-context.ts";

/**
 * Turns the hold into a sale in Redis, then commits ORDER_CONFIRMED (raising OrderConfirmed)
 * and the sale's durable half (log CONFIRMED, on_hand down) as one statement. A crash between
 * the two: the retry's Redis confirm answers ALREADY_CONFIRMED and the statement runs; until
 * then the sweep leaves the hold alone (the order is paid).
 */
export const handlePaymentCompleted: Handler<"PaymentCompleted"> = async (event, ctx) => {
  const order = await orderRepository.findById(ctx.prisma, event.orderId);
  if (order?.status === "PAYMENT_COMPLETED") {
    if (order.reservationId) {
      const confirmed = await ctx.stock.confirmHold(order.reservationId);
      if (confirmed === "NOT_HELD") {
        // A cancel may have released it meanwhile; otherwise this needs a person (retries, then JOB_FAILED).
        const now = await orderRepository.findById(ctx.prisma, event.orderId);
        if (now?.status === "PAYMENT_COMPLETED") {
          throw new Error(`reservation ${order.reservationId} of paid ${orderLabel(order.id, order)} is no longer held`);
        }
        await ctx.job.note(`${orderLabel(order.id, order)} became ${now?.status ?? "missing"} while its stock was confirmed: left as it is`);
        return;
      }
    }
    // The confirm touched Redis only, not the order row: the read above is still good.
    const reservationId = order.reservationId;
    await transitionOrder(
      ctx,
      event.orderId,
      (o) =>
        o.status === "PAYMENT_COMPLETED"
          ? {
              result: Order.confirm(o, systemContext(ctx.clock())),
              ...(reservationId ? { alsoWrite: (write) => write.confirmReservation(reservationId) } : {}),
            }
          : null,
      undefined,
      order,
    );
  } else {
    await ctx.job.note(`${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"}, not PAYMENT_COMPLETED: already confirmed or no longer paid`);
  }
  await removeOrderTimeout(ctx, event.orderId);
};
