import { randomUUID } from "node:crypto";
import {
  Order,
  SYSTEM_ACTOR,
  changeOrder,
  type AlongsideWrite,
  type ChangeStep,
  type Decision,
  type DomainEvent,
  type OrderState,
  type OrderStore,
  type PaymentWebhookRecord,
  type WebhookSubject,
} from "@order-flow/domain";
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

/** Tries of one acceptance when the order keeps moving under it (a timeout or cancel committing first). */
const ACCEPT_TRIES = 6;

/** A verdict that changes no order: the event is recorded once, with what rides along. */
type RecordOnly = { outcome: WebhookOutcome; alongside: AlongsideWrite[] };

/**
 * Accepts a verified PG webhook. The deadline is judged here, at acceptance: the
 * dedupe record and the order's move to PAYMENT_COMPLETED commit in one statement
 * before the endpoint answers 200, so a PAID answered before expiresAt always beats
 * the timeout (both are conditional writes on the order's version).
 */
export function paymentWebhook(deps: {
  orders: OrderStore;
  /** the trace context the order was created under, or null */
  orderTrace: (orderId: string) => Promise<string | null>;
  now?: () => Date;
  metrics?: OrderMetricsHook;
}) {
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

  async function judge(body: WebhookBody, raw: unknown): Promise<WebhookOutcome> {
    const now = clock();
    const record = (outcome: WebhookOutcome): PaymentWebhookRecord => ({
      eventId: body.eventId,
      paymentId: body.paymentId,
      orderId: body.orderId,
      status: body.status,
      amount: body.amount,
      outcome,
      receivedAt: now,
      payload: raw,
    });
    /** Records the event (and what rides along) only if its id was never seen. */
    const recordOnce = async (outcome: WebhookOutcome, alongside: AlongsideWrite[] = []) =>
      (await deps.orders.recordOnce(record(outcome), alongside)) ? outcome : "DUPLICATE";
    const ctx = { actor: SYSTEM_ACTOR, now, newId: randomUUID };
    // Read again on every try: the payment and capture rows move with the order.
    let subject: WebhookSubject | null = null;
    let judged: WebhookOutcome = "UNKNOWN";

    /**
     * The event's record, the order's transition and what rides along, all or nothing. Not
     * applied although the order was as read: the event was recorded before (REPLAYED).
     */
    const transitionOnce = (outcome: WebhookOutcome, decision: Decision, alongside: AlongsideWrite[]): ChangeStep<RecordOnly> => {
      judged = outcome;
      if (!decision.applies) throw decision.why;
      return { applies: true, result: decision.result, save: { onlyOnce: record(outcome), alongside } };
    };

    const decide = (order: OrderState): ChangeStep<RecordOnly> => {
      const { payment, captureKnown } = subject!;
      if (body.status === "FAILED") {
        const failed = Order.decide(order, "failPayment", ctx, {
          paymentId: body.paymentId,
          reason: body.failureReason ?? "Payment declined by the payment gateway",
        });
        if (!failed.applies) return { applies: false, why: { outcome: "IGNORED", alongside: [] } };
        return transitionOnce("PAYMENT_FAILED", failed, [
          { kind: "paymentStatus", paymentId: body.paymentId, from: ["REQUESTED"], to: "FAILED", pgTransactionId: body.pgTransactionId, at: now },
        ]);
      }

      // PAID: money was captured. Either it completes the order, or it goes back. The same capture
      // reported again under another event id is not new money: refunding it would give back the
      // capture that may be paying for the order.
      if (captureKnown) return { applies: false, why: { outcome: "CAPTURE_REPLAYED", alongside: [] } };
      const firstCapture = payment!.status === "REQUESTED";
      const verdict = Order.checkPaidPayment(order, { paymentId: body.paymentId, amount: body.amount });
      const inTime = now.getTime() < order.expiresAt.getTime();
      let outcome: WebhookOutcome;
      if (!firstCapture) outcome = "REFUND_DUPLICATE_CAPTURE";
      else if (verdict.kind === "refund") {
        outcome = verdict.why === "NOT_CURRENT_PAYMENT" ? "REFUND_NOT_CURRENT_PAYMENT" : "REFUND_LATE_PAYMENT";
      } else if (!inTime) outcome = "REFUND_LATE_PAYMENT";
      else if (verdict.kind === "amountMismatch") outcome = "REFUND_AMOUNT_MISMATCH";
      else outcome = "PAYMENT_COMPLETED";

      // The payment row describes its first capture; a later one has its own capture row only.
      const captured: AlongsideWrite[] = [];
      if (firstCapture) {
        captured.push({ kind: "paymentStatus", paymentId: body.paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: body.pgTransactionId, at: now });
      }
      captured.push({
        kind: "capture",
        pgTransactionId: body.pgTransactionId,
        paymentId: body.paymentId,
        orderId: order.id,
        amount: body.amount,
        kept: outcome === "PAYMENT_COMPLETED",
        webhookEventId: body.eventId,
        capturedAt: now,
      });
      if (outcome === "PAYMENT_COMPLETED") {
        const completed = Order.decide(order, "completePayment", ctx, {
          paymentId: body.paymentId,
          amount: body.amount,
          pgTransactionId: body.pgTransactionId,
        });
        return transitionOnce(outcome, completed, captured);
      }
      const refund: AlongsideWrite = { kind: "events", events: [strayRefund(order, body, outcome, now)] };
      if (outcome === "REFUND_AMOUNT_MISMATCH") {
        const failed = Order.decide(order, "failPayment", ctx, {
          paymentId: body.paymentId,
          reason: `Paid amount ${body.amount} differs from the order total ${order.totalAmount}; refunded`,
        });
        return transitionOnce(outcome, failed, [...captured, refund]);
      }
      return { applies: false, why: { outcome, alongside: [...captured, refund] } };
    };

    const change = await changeOrder(deps.orders, {
      orderId: body.orderId,
      read: async () => {
        subject = await deps.orders.readWebhookSubject({
          paymentId: UUID.test(body.paymentId) ? body.paymentId : null,
          orderId: UUID.test(body.orderId) ? body.orderId : null,
          pgTransactionId: body.status === "PAID" ? body.pgTransactionId : null,
        });
        const { payment, order } = subject;
        return payment !== null && order !== null && payment.orderId === order.id ? order : null;
      },
      decide,
      maxTries: ACCEPT_TRIES,
    });
    switch (change.kind) {
      case "APPLIED":
        deps.metrics?.recordTransition(change.result.previous.status, change.result.order.status);
        return judged;
      case "REPLAYED":
        return "DUPLICATE";
      case "NOT_FOUND":
        return recordOnce("UNKNOWN");
      case "REFUSED":
        return recordOnce(change.why.outcome, change.why.alongside);
      case "CONTENDED":
        throw new Error(
          `webhook ${body.eventId}: order ${change.order.id} (${change.order.orderNumber}) moved under it ${change.tries} times in a row`,
        );
    }
  }

  return {
    async accept(body: WebhookBody, raw: unknown): Promise<WebhookOutcome> {
      const run = () => judge(body, raw);
      if (!UUID.test(body.orderId)) return run();
      // Traced: the PG's request links to the order's trace and the acceptance continues it,
      // so the jobs it raises (payment completed → confirmed → preparing) join the order's trace.
      const orderTrace = isTraced() ? await deps.orderTrace(body.orderId).catch(() => null) : null;
      return withOrder(body.orderId, () => continueTrace(orderTrace, "accept payment webhook", run));
    },
  };
}
