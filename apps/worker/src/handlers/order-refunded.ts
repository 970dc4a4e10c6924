import { InvalidStateTransition, Order, type Actor, type OrderState } from "@order-flow/domain";
import { UnrecoverableError } from "bullmq";
import type { Handler, HandlerContext } from "../handler.ts";
import { keptCapture } from "../kept-capture.ts";
import { orderLabel } from "../order-label.ts";
import { transitionOrder } from "../order-transition.ts";
import { refundCapture } from "../payment-refund.ts";
import { systemContext } from "../system-context.ts";

/**
 * The queue dashboard acting for the operator who retried a dead refund job: DOMAIN.md gives
 * REFUND_FAILED → REFUND_REQUESTED to an admin, and the dashboard is admin-only.
 */
const DASHBOARD: Actor = Object.freeze({ role: "admin", userId: null, storeId: null });

/**
 * phase REQUESTED: refunds the capture that paid the order (exactly what it took) through the
 * PG, then REFUND_COMPLETED (refundId) and the payment REFUNDED. A PG failure is rethrown so
 * BullMQ retries with backoff; the last attempt's failure moves the order to REFUND_FAILED (an
 * admin may request again) and still fails the job. The same job run again after that (retried
 * from the dashboard, or redriven) requests the refund again on the admin's behalf; a job that
 * finds nothing to do says so, and one that may do nothing fails with the reason.
 */
export const handleOrderRefunded: Handler<"OrderRefunded"> = async (event, ctx) => {
  if (event.phase !== "REQUESTED") {
    await ctx.job.note(`order ${event.orderId}: OrderRefunded ${event.phase} needs no work`);
    return;
  }
  let order = await ctx.orders.find(event.orderId);
  if (!order) throw new UnrecoverableError(`order ${event.orderId} does not exist: there is nothing to refund`);
  if (Order.refundStage(order) === "FAILED") {
    const again = await requestAgain(ctx, order);
    if (again.kind === "APPLIED") {
      const next = again.result.events[0]?.eventId;
      await ctx.job.note(
        `${orderLabel(order.id, order)}: the refund had failed for good; requested again on the dashboard's behalf ` +
          `(REFUND_FAILED → REFUND_REQUESTED), carried out by job ${next}`,
        { orderId: order.id, orderNumber: order.orderNumber, refundJobId: next },
      );
      return;
    }
    order = again.order ?? order;
  }
  const label = orderLabel(order.id, order);
  const stage = Order.refundStage(order);
  if (stage === "COMPLETED") {
    await ctx.job.note(`${label} is already REFUND_COMPLETED (refund ${order.refundId}): nothing left to do`, { orderId: order.id });
    return;
  }
  if (stage !== "REQUESTED") {
    throw new UnrecoverableError(`${label} is ${order.status}, not REFUND_REQUESTED: this refund job may do nothing to it`);
  }
  const paymentId = event.paymentId ?? order.paymentId;
  let refundId: string;
  try {
    if (!paymentId) throw new Error(`${label} has no captured payment to refund`);
    const kept = await keptCapture(ctx, order, paymentId);
    ({ refundId } = await refundCapture(ctx, {
      orderId: order.id,
      paymentId,
      captureId: kept.captureId,
      amount: kept.amount,
      reason: event.reason ?? "Refund requested",
      idempotencyKey: event.eventId,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.log.warn(
      { orderId: order.id, orderNumber: order.orderNumber, attempt: ctx.job.attempt, attempts: ctx.job.attempts, err: error },
      "refund failed",
    );
    if (ctx.job.isLastAttempt) await failRefund(ctx, order.id, `${message} (after ${ctx.job.attempt} attempt(s))`);
    throw error;
  }
  const now = ctx.clock();
  const done = await transitionOrder(ctx, order.id, (o) => Order.decide(o, "completeRefund", systemContext(now), { refundId }), {
    known: order,
    alongside: () => ({
      alongside: [{ kind: "paymentStatus", paymentId: paymentId!, from: ["PAID"], to: "REFUNDED", refundId, at: now }],
    }),
  });
  if (done.kind === "SKIPPED") {
    await ctx.job.note(`${label}: refunded (refund ${refundId}) but the order is now ${done.order?.status ?? "gone"}`, {
      orderId: order.id,
    });
    return;
  }
  ctx.metrics.inc("payments_refunded_total", { kind: "REFUND_COMPLETED" });
};

/** The admin's move, made by the dashboard on the operator's behalf, audited as such. */
function requestAgain(ctx: HandlerContext, order: OrderState) {
  const now = ctx.clock();
  return transitionOrder(
    ctx,
    order.id,
    (o) => {
      if (Order.refundStage(o) !== "FAILED") {
        return { applies: false, why: new InvalidStateTransition(o.status, "requestRefund", "Only a refund that failed for good is asked again") };
      }
      const decision = Order.decide(o, "requestRefund", { ...systemContext(now), actor: DASHBOARD }, {
        reason: `dead refund job ${ctx.job.queue}/${ctx.job.id} retried by an operator (queue dashboard or jobs:redrive) after: ${
          o.failureReason ?? "the refund failed"
        }`,
      });
      if (!decision.applies) return decision;
      const audit = decision.result.audit.map((a) => ({
        ...a,
        metadata: { ...a.metadata, onBehalfOf: "queue dashboard", retriedJobId: ctx.job.id, retriedQueue: ctx.job.queue },
      }));
      return { applies: true, result: { ...decision.result, audit } };
    },
    { known: order },
  );
}

async function failRefund(ctx: HandlerContext, orderId: string, reason: string): Promise<void> {
  await transitionOrder(ctx, orderId, (o) => Order.decide(o, "failRefund", systemContext(ctx.clock()), { reason }));
}
