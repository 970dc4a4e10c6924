import {
  auditRepository,
  captureRepository,
  inPgTransaction,
  orderRepository,
  paymentRepository,
  type PaymentStatus,
} from "@order-flow/db";
import type { OrderAuditEventType } from "@order-flow/domain";
import type { WorkerDeps } from "./worker-deps.ts";

const NOT_REFUNDED: PaymentStatus[] = ["REQUESTED", "PAID", "FAILED", "CANCELLED"];

export type CaptureRefundRequest = {
  orderId: string;
  paymentId: string;
  /** the capture given back (its pgTransactionId): each capture is refunded on its own */
  captureId: string;
  /** what the capture took, used when the capture has no row of its own (taken before they were kept) */
  amount: number;
  reason: string;
  /** for the PG: the same key for every retry of one refund */
  idempotencyKey: string;
};

export type CaptureRefunded = {
  refundId: string;
  amount: number;
  /** the refund was on record before this call (a job run again): nothing new went to the PG */
  alreadyRecorded: boolean;
};

export type RefundAudit = {
  /** deterministic, so a retried job writes the entry once */
  eventId: string;
  type: OrderAuditEventType;
  changeSummary: (refund: CaptureRefunded) => string;
  metadata: Record<string, unknown>;
};

/**
 * Gives one capture back through the PG, exactly what it took, then records the refund on the
 * capture, on the payment row when that row describes this very capture (never the kept
 * capture's row because of another one), on the order (`recordOnOrder`) and in the audit, in
 * one transaction. A retry after a crash finds the refund on the capture row (or asks the PG
 * again, which answers with the same refund); every write below is idempotent.
 */
export async function refundCapture(
  deps: WorkerDeps,
  req: CaptureRefundRequest,
  options: { audit?: RefundAudit; recordOnOrder?: boolean } = {},
): Promise<CaptureRefunded> {
  const capture = await captureRepository.findById(deps.db, req.captureId);
  const amount = capture?.amount ?? req.amount;
  const refundId =
    capture?.refundId ??
    (
      await deps.gateway.refund({
        paymentId: req.paymentId,
        captureId: req.captureId,
        amount,
        reason: req.reason,
        idempotencyKey: req.idempotencyKey,
      })
    ).refundId;
  const refunded = { refundId, amount, alreadyRecorded: capture?.refundId != null };
  const now = deps.clock();
  await inPgTransaction(deps.db, async (tx) => {
    await captureRepository.recordRefund(tx, { pgTransactionId: req.captureId, refundId, amount, now });
    await paymentRepository.changeStatus(tx, req.paymentId, NOT_REFUNDED, "REFUNDED", { refundId, ofCapture: req.captureId, now });
    if (options.recordOnOrder) await orderRepository.recordRefundId(tx, req.orderId, refundId, now);
    const audit = options.audit;
    if (audit) {
      await auditRepository.append(tx, [
        {
          eventId: audit.eventId,
          orderId: req.orderId,
          eventType: audit.type,
          changeSummary: audit.changeSummary(refunded),
          actorUserId: null,
          recordedAt: now,
          metadata: {
            actorRole: "system",
            paymentId: req.paymentId,
            pgTransactionId: req.captureId,
            amount,
            refundId,
            reason: req.reason,
            ...audit.metadata,
          },
        },
      ]);
    }
  });
  return refunded;
}
