import type { PaymentRow, PaymentRowStatus } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { runCount, runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

export type PaymentStatus = PaymentRowStatus;

/** A p_payment row (the port's shape). */
export type Payment = PaymentRow;

export const paymentRepository = {
  /** One query on the pool (the webhook reads it on every call). */
  async findById(db: Database, id: string): Promise<Payment | null> {
    const params = new SqlParams();
    const rows = await runStatement<Payment>(
      db,
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
    db: SqlTarget,
    id: string,
    from: PaymentStatus[],
    to: PaymentStatus,
    fields: { pgTransactionId?: string | null; refundId?: string | null; ofCapture?: string; now: Date },
  ): Promise<boolean> {
    const params = new SqlParams();
    const set = [`status = ${params.add(to)}`, `updated_at = ${params.add(fields.now, "timestamptz")}`];
    if (fields.pgTransactionId !== undefined) set.push(`pg_transaction_id = ${params.add(fields.pgTransactionId, "text")}`);
    if (fields.refundId !== undefined) set.push(`refund_id = ${params.add(fields.refundId, "text")}`);
    const where = [`id = ${params.add(id, "uuid")}`, `status = ANY(${params.add(from, "text[]")})`];
    if (fields.ofCapture !== undefined) where.push(`pg_transaction_id = ${params.add(fields.ofCapture)}`);
    const count = await runCount(db, `UPDATE p_payment SET ${set.join(", ")} WHERE ${where.join(" AND ")}`, params);
    return count === 1;
  },
};
