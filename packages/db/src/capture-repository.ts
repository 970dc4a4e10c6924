import type { Db, PrismaClient } from "./client.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

/** One capture the PG reported (pgTransactionId) and, once given back, its refund. */
export type PaymentCapture = {
  pgTransactionId: string;
  paymentId: string;
  orderId: string;
  amount: number;
  /** the capture that paid the order; every other one is refunded on its own */
  kept: boolean;
  webhookEventId: string;
  capturedAt: Date;
  refundId: string | null;
  refundedAmount: number | null;
  refundedAt: Date | null;
};

export type NewPaymentCapture = Omit<PaymentCapture, "refundId" | "refundedAmount" | "refundedAt">;

type Row = Omit<PaymentCapture, "amount" | "refundedAmount"> & {
  amount: bigint | number | string;
  refundedAmount: bigint | number | string | null;
};

// Money columns are BIGINT; amounts stay numbers (safe integers) past this boundary.
function toCapture(row: Row): PaymentCapture {
  return { ...row, amount: Number(row.amount), refundedAmount: row.refundedAmount === null ? null : Number(row.refundedAmount) };
}

export const captureRepository = {
  /** One query on the pool (the webhook reads it on every PAID). */
  async findById(prisma: PrismaClient, pgTransactionId: string): Promise<PaymentCapture | null> {
    const params = new SqlParams();
    const rows = await runStatement<Row>(
      prisma.$pool,
      `SELECT pg_transaction_id AS "pgTransactionId", payment_id AS "paymentId", order_id AS "orderId", amount, kept,
         webhook_event_id AS "webhookEventId", captured_at AS "capturedAt", refund_id AS "refundId",
         refunded_amount AS "refundedAmount", refunded_at AS "refundedAt"
       FROM p_payment_capture WHERE pg_transaction_id = ${params.add(pgTransactionId)}`,
      params,
    );
    return rows[0] ? toCapture(rows[0]) : null;
  },

  async listByOrder(db: Db | PrismaClient, orderId: string): Promise<PaymentCapture[]> {
    const rows = await db.paymentCapture.findMany({ where: { orderId }, orderBy: { capturedAt: "asc" } });
    return rows.map(toCapture);
  },

  /** The refund of one capture, recorded once: true only for the caller that recorded it. */
  async recordRefund(db: Db, input: { pgTransactionId: string; refundId: string; amount: number; now: Date }): Promise<boolean> {
    const { count } = await db.paymentCapture.updateMany({
      where: { pgTransactionId: input.pgTransactionId, refundId: null },
      data: { refundId: input.refundId, refundedAmount: BigInt(input.amount), refundedAt: input.now },
    });
    return count === 1;
  },
};
