import { auditRepository, orderRepository, paymentRepository, type PaymentStatus } from "@order-flow/db";
import type { OrderAuditEventType } from "@order-flow/domain";
import type { WorkerDeps } from "./worker-deps.ts";

const NOT_REFUNDED: PaymentStatus[] = ["REQUESTED", "PAID", "FAILED", "CANCELLED"];

export type RefundRequest = {
  orderId: string;
  paymentId: string;
  amount: number;
  /** the capture to give back (its pgTransactionId); default the payment's own capture */
  captureId?: string | null;
  reason: string;
  /** for the PG: the same key for every retry of one refund */
  idempotencyKey: string;
  /** deterministic, so a retried job writes the entry once */
  auditEventId: string;
  auditType: OrderAuditEventType;
  changeSummary: (refundId: string) => string;
  metadata: Record<string, unknown>;
  /** also set p_order.refund_id (cancelled/rejected orders, whose status does not change) */
  recordOnOrder: boolean;
};

/**
 * Gives a captured payment back through the PG, then marks it REFUNDED and audits it in one
 * transaction. A retry after a crash asks the PG again (it answers with the same refund) or
 * finds the payment already REFUNDED; either way the writes below are idempotent.
 */
export async function refundPayment(deps: WorkerDeps, req: RefundRequest): Promise<string> {
  const payment = await paymentRepository.findById(deps.prisma, req.paymentId);
  const refundId =
    payment?.status === "REFUNDED" && payment.refundId
      ? payment.refundId
      : (
          await deps.gateway.refund({
            paymentId: req.paymentId,
            captureId: req.captureId ?? payment?.pgTransactionId ?? req.paymentId,
            amount: payment?.amount ?? req.amount,
            reason: req.reason,
            idempotencyKey: req.idempotencyKey,
          })
        ).refundId;
  const now = deps.clock();
  await deps.prisma.$transaction(async (tx) => {
    if (payment) await paymentRepository.changeStatus(tx, req.paymentId, NOT_REFUNDED, "REFUNDED", { refundId, now });
    if (req.recordOnOrder) await orderRepository.recordRefundId(tx, req.orderId, refundId, now);
    await auditRepository.append(tx, [
      {
        eventId: req.auditEventId,
        orderId: req.orderId,
        eventType: req.auditType,
        changeSummary: req.changeSummary(refundId),
        actorUserId: null,
        recordedAt: now,
        metadata: {
          actorRole: "system",
          paymentId: req.paymentId,
          amount: payment?.amount ?? req.amount,
          refundId,
          reason: req.reason,
          ...req.metadata,
        },
      },
    ]);
  });
  deps.metrics.inc("payments_refunded_total", { kind: req.auditType });
  return refundId;
}
