import { orderRepository, paymentRepository } from "@order-flow/db";
import { Order } from "@order-flow/domain";
import type { Handler } from "../handler.ts";
import { transitionOrder } from "../order-transition.ts";
import { systemContext } from "../system-context.ts";

/**
 * phase REQUESTED: refund through the PG, then REFUND_COMPLETED (refundId) and the payment
 * REFUNDED. A PG failure is rethrown so BullMQ retries with backoff; the last attempt's failure
 * moves the order to REFUND_FAILED (an admin may request again) and still fails the job.
 */
export const handleOrderRefunded: Handler<"OrderRefunded"> = async (event, ctx) => {
  if (event.phase !== "REQUESTED") return;
  const order = await orderRepository.findById(ctx.prisma, event.orderId);
  if (order?.status !== "REFUND_REQUESTED") return;
  const paymentId = event.paymentId ?? order.paymentId;
  if (!paymentId) {
    await failRefund(ctx, event.orderId, "The order has no captured payment to refund");
    return;
  }
  const payment = await paymentRepository.findById(ctx.prisma, paymentId);
  let refundId: string;
  try {
    ({ refundId } = await ctx.gateway.refund({
      paymentId,
      captureId: payment?.pgTransactionId ?? paymentId,
      amount: event.amount,
      reason: event.reason ?? "Refund requested",
      idempotencyKey: event.eventId,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log.warn({ orderId: event.orderId, attempt: ctx.job.attempt, attempts: ctx.job.attempts, err: error }, "refund failed");
    if (ctx.job.isLastAttempt) {
      await failRefund(ctx, event.orderId, `${message} (after ${ctx.job.attempt} attempt(s))`);
    }
    throw error;
  }
  const now = ctx.clock();
  await transitionOrder(ctx, event.orderId, (o) =>
    o.status !== "REFUND_REQUESTED"
      ? null
      : {
          result: Order.completeRefund(o, systemContext(now), { refundId }),
          alsoWrite: (write) => write.changePaymentStatus({ id: paymentId, from: ["PAID"], to: "REFUNDED", refundId, now }),
        },
  );
  ctx.metrics.inc("payments_refunded_total", { kind: "REFUND_COMPLETED" });
};

async function failRefund(ctx: Parameters<Handler<"OrderRefunded">>[1], orderId: string, reason: string): Promise<void> {
  await transitionOrder(ctx, orderId, (o) =>
    o.status === "REFUND_REQUESTED" ? { result: Order.failRefund(o, systemContext(ctx.clock()), { reason }) } : null,
  );
}
