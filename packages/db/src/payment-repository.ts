import type { Db } from "./client.ts";

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
  async create(db: Db, payment: { id: string; orderId: string; amount: number; now: Date }): Promise<Payment> {
    const row = await db.payment.create({
      data: {
        id: payment.id,
        orderId: payment.orderId,
        amount: payment.amount,
        status: "REQUESTED",
        createdAt: payment.now,
        updatedAt: payment.now,
      },
    });
    return row as Payment;
  },

  async findById(db: Db, id: string): Promise<Payment | null> {
    return (await db.payment.findUnique({ where: { id } })) as Payment | null;
  },

  /** Conditional status change: true only for the caller that moved it from one of `from`. */
  async changeStatus(
    db: Db,
    id: string,
    from: PaymentStatus[],
    to: PaymentStatus,
    fields: { pgTransactionId?: string | null; refundId?: string | null; now: Date },
  ): Promise<boolean> {
    const { count } = await db.payment.updateMany({
      where: { id, status: { in: from } },
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
