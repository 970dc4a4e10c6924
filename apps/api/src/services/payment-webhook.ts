import { randomUUID } from "node:crypto";
import { Order, SYSTEM_ACTOR, type DomainEvent, type OrderState, type TransitionResult } from "@order-flow/domain";
import {
  orderRepository,
  outboxRepository,
  paymentRepository,
  saveTransition,
  webhookEventRepository,
  type Db,
  type PrismaClient,
} from "@order-flow/db";
import { makeStrayPaymentRefund, type StrayRefundReason } from "@order-flow/queues";
import { z } from "zod";
import type { OrderMetricsHook } from "../metrics.ts";

export const webhookBodySchema = z.object({
  eventId: z.string().min(1).max(255),
  paymentId: z.string().min(1).max(255),
  orderId: z.string().min(1).max(255),
  status: z.enum(["PAID", "FAILED"]),
  amount: z.number().int().nonnegative(),
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
  | "REFUND_AMOUNT_MISMATCH"
  | "REFUND_LATE_PAYMENT"
  | "REFUND_NOT_CURRENT_PAYMENT"
  | "REFUND_DUPLICATE_CAPTURE";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class LostRace extends Error {}

/**
 * Accepts a verified PG webhook. The deadline is judged here, at acceptance: the
 * dedupe record and the order's move to PAYMENT_COMPLETED commit in one transaction
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

  /** Queues the refund of captured money that will not pay for the order, in the accepting transaction. */
  async function strayRefund(tx: Db, order: OrderState, body: WebhookBody, outcome: WebhookOutcome, now: Date) {
    const job = makeStrayPaymentRefund({
      eventId: randomUUID(),
      orderId: order.id,
      paymentId: body.paymentId,
      amount: body.amount,
      reason: STRAY_REASON[outcome] ?? "NOT_PENDING",
      pgTransactionId: body.pgTransactionId,
      now,
    });
    await outboxRepository.add(tx, [job as unknown as DomainEvent]);
  }

  async function attempt(body: WebhookBody, raw: unknown): Promise<WebhookOutcome> {
    const now = clock();
    const applied: { from: string; to: string }[] = [];
    const save = async (tx: Db, result: TransitionResult) => {
      const outcome = await saveTransition(tx, result);
      if (outcome === "APPLIED") applied.push({ from: result.previous.status, to: result.order.status });
      return outcome;
    };
    const outcome = await deps.prisma.$transaction(async (tx) => {
      const payment = UUID.test(body.paymentId) ? await paymentRepository.findById(tx, body.paymentId) : null;
      const order = UUID.test(body.orderId) ? await orderRepository.findById(tx, body.orderId) : null;
      const known = payment !== null && order !== null && payment.orderId === order.id;
      const record = async (outcome: WebhookOutcome) => {
        const first = await webhookEventRepository.recordOnce(tx, {
          eventId: body.eventId,
          paymentId: body.paymentId,
          orderId: body.orderId,
          status: body.status,
          amount: body.amount,
          outcome,
          receivedAt: now,
          payload: raw,
        });
        return first;
      };
      if (!known) return (await record("UNKNOWN")) ? "UNKNOWN" : "DUPLICATE";

      if (body.status === "FAILED") {
        if (order.status !== "PAYMENT_PENDING" || order.paymentId !== body.paymentId) {
          return (await record("IGNORED")) ? "IGNORED" : "DUPLICATE";
        }
        if (!(await record("PAYMENT_FAILED"))) return "DUPLICATE";
        const result = Order.failPayment(order, { actor: SYSTEM_ACTOR, now, newId: randomUUID }, {
          paymentId: body.paymentId,
          reason: body.failureReason ?? "Payment declined by the payment gateway",
        });
        if ((await save(tx, result)) !== "APPLIED") throw new LostRace();
        await paymentRepository.changeStatus(tx, body.paymentId, ["REQUESTED"], "FAILED", {
          pgTransactionId: body.pgTransactionId,
          now,
        });
        return "PAYMENT_FAILED";
      }

      // PAID: money was captured. Either it completes the order, or it goes back.
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
      if (!(await record(outcome))) return "DUPLICATE";

      const ctx = { actor: SYSTEM_ACTOR, now, newId: randomUUID };
      if (outcome === "PAYMENT_COMPLETED") {
        const result = Order.completePayment(order, ctx, {
          paymentId: body.paymentId,
          amount: body.amount,
          pgTransactionId: body.pgTransactionId,
        });
        if ((await save(tx, result)) !== "APPLIED") throw new LostRace();
        await paymentRepository.changeStatus(tx, body.paymentId, ["REQUESTED"], "PAID", {
          pgTransactionId: body.pgTransactionId,
          now,
        });
        return outcome;
      }
      if (firstCapture) {
        await paymentRepository.changeStatus(tx, body.paymentId, ["REQUESTED"], "PAID", {
          pgTransactionId: body.pgTransactionId,
          now,
        });
      }
      if (outcome === "REFUND_AMOUNT_MISMATCH") {
        const result = Order.failPayment(order, ctx, {
          paymentId: body.paymentId,
          reason: `Paid amount ${body.amount} differs from the order total ${order.totalAmount}; refunded`,
        });
        if ((await save(tx, result)) !== "APPLIED") throw new LostRace();
      }
      await strayRefund(tx, order, body, outcome, now);
      return outcome;
    });
    // Counted only once committed: a rolled-back transaction changed nothing.
    for (const t of applied) deps.metrics?.recordTransition(t.from, t.to);
    return outcome;
  }

  return {
    async accept(body: WebhookBody, raw: unknown): Promise<WebhookOutcome> {
      for (let i = 0; ; i++) {
        try {
          return await attempt(body, raw);
        } catch (err) {
          // The order moved under us (a timeout or cancel committed first): judge again.
          if (!(err instanceof LostRace) || i >= 5) throw err;
        }
      }
    },
  };
}
