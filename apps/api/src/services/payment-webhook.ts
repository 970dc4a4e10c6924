import { randomUUID } from "node:crypto";
import { Order, SYSTEM_ACTOR, type DomainEvent, type OrderState, type TransitionResult } from "@order-flow/domain";
import {
  OrderWrite,
  outboxRepository,
  readWebhookSubject,
  type PrismaClient,
  type WebhookEventRecord,
} from "@order-flow/db";
import { makeStrayPaymentRefund, type StrayRefundReason } from "@order-flow/queues";
import { continueTrace, isTraced, withOrder } from "@order-flow/telemetry";
import { z } from "zod";
import type { OrderMetricsHook } from "../metrics.ts";

export const webhookBodySchema = z.object({
  eventId: z.string().min(1).max(255),
  // Our own UUIDs, which a PG may echo in upper case.
  paymentId: z.string().min(1).max(255).toLowerCase(),
  orderId: z.string().min(1).max(255).toLowerCase(),
  status: z.enum(["PAID", "FAILED"]),
  // Any amount a PG may capture is accepted (BIGINT); past a safe integer it is not a number we can hold.
  amount: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  pgTransactionId: z.string().min(1).max(255),
  failureReason: z.string().max(1000).optional(),
});

export type WebhookBody = z.infer<typeof webhookBodySchema>;

export type WebhookOutcome =
  | "DUPLICATE"
  | "UNKNOWN"
  | "PAYMENT_COMPLETED"
  | "PAYMENT_FAILED"
  | "IGNORED"
  | "CAPTURE_REPLAYED"
  | "REFUND_AMOUNT_MISMATCH"
  | "REFUND_LATE_PAYMENT"
  | "REFUND_NOT_CURRENT_PAYMENT"
  | "REFUND_DUPLICATE_CAPTURE";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class LostRace extends Error {}

/**
 * Accepts a verified PG webhook. The deadline is judged here, at acceptance: the
 * dedupe record and the order's move to PAYMENT_COMPLETED commit in one statement
 * before the endpoint answers 200, so a PAID answered before expiresAt always beats
 * the timeout (both are conditional writes on the order's version).
 */
export function paymentWebhook(deps: { prisma: PrismaClient; now?: () => Date; metrics?: OrderMetricsHook }) {
  const clock = deps.now ?? (() => new Date());

  const STRAY_REASON: Record<string, StrayRefundReason> = {
    REFUND_AMOUNT_MISMATCH: "AMOUNT_MISMATCH",
    REFUND_LATE_PAYMENT: "NOT_PENDING",
    REFUND_NOT_CURRENT_PAYMENT: "NOT_CURRENT_PAYMENT",
    REFUND_DUPLICATE_CAPTURE: "NOT_CURRENT_PAYMENT",
  };

  /** The refund of captured money that will not pay for the order, queued with the accepting write. */
  function strayRefund(order: OrderState, body: WebhookBody, outcome: WebhookOutcome, now: Date): DomainEvent {
    const job = makeStrayPaymentRefund({
      eventId: randomUUID(),
      orderId: order.id,
      paymentId: body.paymentId,
      amount: body.amount,
      reason: STRAY_REASON[outcome] ?? "NOT_PENDING",
      pgTransactionId: body.pgTransactionId,
      now,
    });
    return job as unknown as DomainEvent;
  }

  async function attempt(body: WebhookBody, raw: unknown): Promise<WebhookOutcome> {
    const now = clock();
    const { payment, order, captureKnown: knownCapture } = await readWebhookSubject(deps.prisma, {
      paymentId: UUID.test(body.paymentId) ? body.paymentId : null,
      orderId: UUID.test(body.orderId) ? body.orderId : null,
      pgTransactionId: body.status === "PAID" ? body.pgTransactionId : null,
    });
    const known = payment !== null && order !== null && payment.orderId === order.id;
    const record = (outcome: WebhookOutcome): WebhookEventRecord => ({
      eventId: body.eventId,
      paymentId: body.paymentId,
      orderId: body.orderId,
      status: body.status,
      amount: body.amount,
      outcome,
      receivedAt: now,
      payload: raw,
    });
    /** Records the event (and whatever `also` adds) only if its id was never seen. */
    const recordOnce = async (outcome: WebhookOutcome, also?: (write: OrderWrite) => void) => {
      const write = new OrderWrite().recordWebhookEvent(record(outcome));
      also?.(write);
      return (await write.run(deps.prisma)).passed ? outcome : "DUPLICATE";
    };
    /**
     * The event's record, the order's transition and `also`, all or nothing. Not applied
     * although the order was as read: the event was recorded before (a replay). Otherwise
     * the order moved under us (a timeout or cancel committed first): judge again.
     */
    const transitionOnce = async (outcome: WebhookOutcome, result: TransitionResult, also: (write: OrderWrite) => void) => {
      const write = new OrderWrite()
        .transition(result.previous, result.order, { onlyWithWebhookRecord: record(outcome) })
        .audit(result.audit)
        .events(result.events);
      also(write);
      const { passed, orderWasCurrent } = await write.run(deps.prisma);
      if (passed) {
        deps.metrics?.recordTransition(result.previous.status, result.order.status);
        return outcome;
      }
      if (orderWasCurrent) return "DUPLICATE";
      throw new LostRace();
    };
    if (!known) return recordOnce("UNKNOWN");

    const ctx = { actor: SYSTEM_ACTOR, now, newId: randomUUID };
    if (body.status === "FAILED") {
      if (order.status !== "PAYMENT_PENDING" || order.paymentId !== body.paymentId) return recordOnce("IGNORED");
      const result = Order.failPayment(order, ctx, {
        paymentId: body.paymentId,
        reason: body.failureReason ?? "Payment declined by the payment gateway",
      });
      return transitionOnce("PAYMENT_FAILED", result, (write) =>
        write.changePaymentStatus({ id: body.paymentId, from: ["REQUESTED"], to: "FAILED", pgTransactionId: body.pgTransactionId, now }),
      );
    }

    // PAID: money was captured. Either it completes the order, or it goes back. The same capture
    // reported again under another event id is not new money: refunding it would give back the
    // capture that may be paying for the order.
    if (knownCapture) return recordOnce("CAPTURE_REPLAYED");
    const firstCapture = payment.status === "REQUESTED";
    const verdict = Order.checkPaidPayment(order, { paymentId: body.paymentId, amount: body.amount });
    const inTime = now.getTime() < order.expiresAt.getTime();
    let outcome: WebhookOutcome;
    if (!firstCapture) outcome = "REFUND_DUPLICATE_CAPTURE";
    else if (verdict.kind === "refund") {
      outcome = verdict.why === "NOT_CURRENT_PAYMENT" ? "REFUND_NOT_CURRENT_PAYMENT" : "REFUND_LATE_PAYMENT";
    } else if (!inTime) outcome = "REFUND_LATE_PAYMENT";
    else if (verdict.kind === "amountMismatch") outcome = "REFUND_AMOUNT_MISMATCH";
    else outcome = "PAYMENT_COMPLETED";

    const captured = (write: OrderWrite) => {
      // The payment row describes its first capture; a later one has its own capture row only.
      if (firstCapture) {
        write.changePaymentStatus({ id: body.paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: body.pgTransactionId, now });
      }
      write.recordCapture({
        pgTransactionId: body.pgTransactionId,
        paymentId: body.paymentId,
        orderId: order.id,
        amount: body.amount,
        kept: outcome === "PAYMENT_COMPLETED",
        webhookEventId: body.eventId,
        capturedAt: now,
      });
    };
    if (outcome === "PAYMENT_COMPLETED") {
      const result = Order.completePayment(order, ctx, {
        paymentId: body.paymentId,
        amount: body.amount,
        pgTransactionId: body.pgTransactionId,
      });
      return transitionOnce(outcome, result, captured);
    }
    const refund = strayRefund(order, body, outcome, now);
    if (outcome === "REFUND_AMOUNT_MISMATCH") {
      const result = Order.failPayment(order, ctx, {
        paymentId: body.paymentId,
        reason: `Paid amount ${body.amount} differs from the order total ${order.totalAmount}; refunded`,
      });
      return transitionOnce(outcome, result, (write) => {
        captured(write);
        write.events([refund]);
      });
    }
    return recordOnce(outcome, (write) => {
      captured(write);
      write.events([refund]);
    });
  }

  return {
    async accept(body: WebhookBody, raw: unknown): Promise<WebhookOutcome> {
      const judge = async () => {
        for (let i = 0; ; i++) {
          try {
            return await attempt(body, raw);
          } catch (err) {
            // The order moved under us (a timeout or cancel committed first): judge again.
            if (!(err instanceof LostRace) || i >= 5) throw err;
          }
        }
      };
      if (!UUID.test(body.orderId)) return judge();
      // Traced: the PG's request links to the order's trace and the acceptance continues it,
      // so the jobs it raises (payment completed → confirmed → preparing) join the order's trace.
      const orderTrace = isTraced() ? await outboxRepository.orderTraceContext(deps.prisma, body.orderId).catch(() => null) : null;
      return withOrder(body.orderId, () => continueTrace(orderTrace, "accept payment webhook", judge));
    },
  };
}
