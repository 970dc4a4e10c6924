import type { Db, PrismaClient } from "./client.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

export type PaymentStatus = "REQUESTED" | "PAID" | "FAILED" | "CANCELLED" | "REFUNDED";

export type Payment = {
  id: string;
  orderId: string;
  amount: number;
  status: PaymentStatus;
  pgTransactionId: string | null;
  refundId: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export const paymentRepository = {
  /** One query on the pool (the webhook reads it on every call). */
  async findById(prisma: PrismaClient, id: string): Promise<Payment | null> {
    const params = new SqlParams();
    const rows = await runStatement<Payment>(
      prisma.$pool,
      `SELECT id, order_id AS "orderId", amount, status, pg_transaction_id AS "pgTransactionId", refund_id AS "refundId",
         created_at AS "createdAt", updated_at AS "updatedAt" FROM p_payment WHERE id = ${params.add(id, "uuid")}`,
      params,
    );
    return rows[0] ?? null;
  },

  /**
   * Conditional status change: true only for the caller that moved it from one of `from`.
   * With `ofCapture`, only while the row describes that capture (its pg_transaction_id): a
   * refund of another capture of the same payment never touches it.
   */
  async changeStatus(
    db: Db,
    id: string,
    from: PaymentStatus[],
    to: PaymentStatus,
    fields: { pgTransactionId?: string | null; refundId?: string | null; ofCapture?: string; now: Date },
  ): Promise<boolean> {
    const { count } = await db.payment.updateMany({
      where: { id, status: { in: from }, ...(fields.ofCapture !== undefined ? { pgTransactionId: fields.ofCapture } : {}) },
      data: {
        status: to,
        updatedAt: fields.now,
        ...(fields.pgTransactionId !== undefined ? { pgTransactionId: fields.pgTransactionId } : {}),
        ...(fields.refundId !== undefined ? { refundId: fields.refundId } : {}),
      },
    });
    return count === 1;
  },
};
