import type { WebhookSubject, WebhookSubjectIds } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { orderFromRow, SELECT_ORDER, type OrderRowWithItemsJson } from "./order-row.ts";
import type { Payment, PaymentStatus } from "./payment-repository.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

type Row = Partial<OrderRowWithItemsJson> & {
  p_id: string | null;
  p_order_id: string;
  p_amount: number;
  p_status: PaymentStatus;
  p_pg_transaction_id: string | null;
  p_refund_id: string | null;
  p_created_at: Date;
  p_updated_at: Date;
  capture_known: boolean;
};

/** The three reads of a webhook in one query (one round trip, one snapshot). Null ids read nothing. */
export async function readWebhookSubject(
  db: Database,
  ids: WebhookSubjectIds,
): Promise<WebhookSubject> {
  const p = new SqlParams();
  const text = `SELECT ord.*, pay.id AS p_id, pay.order_id AS p_order_id, pay.amount AS p_amount, pay.status AS p_status,
      pay.pg_transaction_id AS p_pg_transaction_id, pay.refund_id AS p_refund_id, pay.created_at AS p_created_at,
      pay.updated_at AS p_updated_at,
      EXISTS (SELECT 1 FROM p_payment_capture c WHERE c.pg_transaction_id = ${p.add(ids.pgTransactionId, "text")}) AS capture_known
    FROM (SELECT 1) AS one
    LEFT JOIN p_payment pay ON pay.id = ${p.add(ids.paymentId, "uuid")}
    LEFT JOIN LATERAL (${SELECT_ORDER} WHERE o.id = ${p.add(ids.orderId, "uuid")}) AS ord ON true`;
  const [row] = await runStatement<Row>(db, text, p);
  if (!row) return { payment: null, order: null, captureKnown: false };
  const payment: Payment | null = row.p_id
    ? {
        id: row.p_id,
        orderId: row.p_order_id,
        amount: row.p_amount,
        status: row.p_status,
        pgTransactionId: row.p_pg_transaction_id,
        refundId: row.p_refund_id,
        createdAt: row.p_created_at,
        updatedAt: row.p_updated_at,
      }
    : null;
  const order = row.id ? orderFromRow(row as OrderRowWithItemsJson) : null;
  return { payment, order, captureKnown: row.capture_known === true };
}
