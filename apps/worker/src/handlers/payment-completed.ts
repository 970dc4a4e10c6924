import { Order, SYSTEM_ACTOR, fromOrderSnapshot } from "@order-flow/domain";
import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";
import { removeOrderTimeout } from "../order-timeout-job.ts";
import { transitionOrder } from "../order-transition.ts";
import { systemContext } from "../system-context.ts";

/**
 * Turns the hold into a sale in Redis, then commits ORDER_CONFIRMED (raising OrderConfirmed)
 * and the sale's durable half (log CONFIRMED, on_hand down) as one statement. A crash between
 * the two: the retry's Redis confirm answers ALREADY_CONFIRMED and the statement runs; until
 * then the sweep leaves the hold alone (the order is paid). Decided on the order as the event
 * left it (an older event without it: on a read); the write is conditional on that version, so
 * an order that moved since is read again and judged again.
 */
export const handlePaymentCompleted: Handler<"PaymentCompleted"> = async (event, ctx) => {
  const order = event.orderState ? fromOrderSnapshot(event.orderState) : await ctx.orders.find(event.orderId);
  if (order && Order.can(order, SYSTEM_ACTOR, "confirm")) {
    if (order.reservationId) {
      const confirmed = await ctx.stock.confirmHold(order.reservationId);
      if (confirmed === "NOT_HELD") {
        // A cancel may have released it meanwhile; otherwise this needs a person (retries, then JOB_FAILED).
        const now = await ctx.orders.find(event.orderId);
        if (now && Order.can(now, SYSTEM_ACTOR, "confirm")) {
          throw new Error(`reservation ${order.reservationId} of paid ${orderLabel(order.id, order)} is no longer held`);
        }
        await ctx.job.note(`${orderLabel(order.id, order)} became ${now?.status ?? "missing"} while its stock was confirmed: left as it is`);
        return;
      }
    }
    // The confirm touched Redis only, not the order row: the version decided on still holds.
    const reservationId = order.reservationId;
    const done = await transitionOrder(ctx, event.orderId, (o) => Order.decide(o, "confirm", systemContext(ctx.clock())), {
      known: order,
      ...(reservationId ? { alongside: () => ({ alongside: [{ kind: "confirmReservation", reservationId }] }) } : {}),
    });
    if (done.kind === "SKIPPED") {
      await ctx.job.note(
        `${orderLabel(event.orderId, done.order ?? order)} is ${done.order?.status ?? "missing"}, not PAYMENT_COMPLETED: already confirmed or no longer paid`,
      );
    }
  } else {
    await ctx.job.note(`${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"}, not PAYMENT_COMPLETED: already confirmed or no longer paid`);
  }
  await removeOrderTimeout(ctx, event.orderId);
};
