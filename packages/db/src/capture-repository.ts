import type { AlongsideWrite } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { runCount, runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

/** One capture the PG reported, as the webhook's statement records it (the port's shape). */
export type NewPaymentCapture = Omit<Extract<AlongsideWrite, { kind: "capture" }>, "kind">;

/** A capture and, once given back, its refund. */
export type PaymentCapture = NewPaymentCapture & {
  refundId: string | null;
  refundedAmount: number | null;
  refundedAt: Date | null;
};

// Money columns are BIGINT: the pool's int8 parser reads them as numbers (safe integers).
const SELECT_CAPTURE = `SELECT pg_transaction_id AS "pgTransactionId", payment_id AS "paymentId", order_id AS "orderId", amount, kept,
  webhook_event_id AS "webhookEventId", captured_at AS "capturedAt", refund_id AS "refundId",
  refunded_amount AS "refundedAmount", refunded_at AS "refundedAt"
  FROM p_payment_capture`;

export const captureRepository = {
  /** One query on the pool (the webhook reads it on every PAID). */
  async findById(db: Database, pgTransactionId: string): Promise<PaymentCapture | null> {
    const params = new SqlParams();
    const rows = await runStatement<PaymentCapture>(
      db,
      `${SELECT_CAPTURE} WHERE pg_transaction_id = ${params.add(pgTransactionId)}`,
      params,
    );
    return rows[0] ?? null;
  },

  async listByOrder(db: SqlTarget, orderId: string): Promise<PaymentCapture[]> {
    const params = new SqlParams();
    return runStatement<PaymentCapture>(
      db,
      `${SELECT_CAPTURE} WHERE order_id = ${params.add(orderId, "uuid")} ORDER BY captured_at`,
      params,
    );
  },

  /** The refund of one capture, recorded once: true only for the caller that recorded it. */
  async recordRefund(db: SqlTarget, input: { pgTransactionId: string; refundId: string; amount: number; now: Date }): Promise<boolean> {
    const params = new SqlParams();
    const count = await runCount(
      db,
      `UPDATE p_payment_capture SET refund_id = ${params.add(input.refundId)}, refunded_amount = ${params.add(input.amount, "bigint")},
         refunded_at = ${params.add(input.now, "timestamptz")}
       WHERE pg_transaction_id = ${params.add(input.pgTransactionId)} AND refund_id IS NULL`,
      params,
    );
    return count === 1;
  },
};
