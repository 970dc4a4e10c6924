import type { Db, PrismaClient } from "./client.ts";

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

type Row = Omit<PaymentCapture, "amount" | "refundedAmount"> & { amount: bigint | number; refundedAmount: bigint | number | null };

// Money columns are BIGINT; amounts stay numbers (safe integers) past this boundary.
function toCapture(row: Row): PaymentCapture {
  return { ...row, amount: Number(row.amount), refundedAmount: row.refundedAmount === null ? null : Number(row.refundedAmount) };
}

export const captureRepository = {
  async findById(db: Db | PrismaClient, pgTransactionId: string): Promise<PaymentCapture | null> {
    const row = await db.paymentCapture.findUnique({ where: { pgTransactionId } });
    return row ? toCapture(row) : null;
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
