import type { OrderItem, OrderState, OrderStatus } from "@order-flow/domain";
import { int8ToNumber } from "./int8.ts";

/**
 * An order row as the pg pool returns it (BIGINT already a number, timestamps as Date), with
 * its items aggregated as JSON in the same query: the one shape every order read maps from.
 */
export type OrderRowWithItemsJson = {
  id: string;
  order_number: string;
  user_id: string;
  store_id: string;
  status: string;
  total_amount: number;
  reservation_id: string | null;
  payment_id: string | null;
  expires_at: Date;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  failure_reason: string | null;
  refund_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  items: OrderItem[];
};

/** Order + items in one round trip; callers append WHERE / ORDER BY / LIMIT. */
export const SELECT_ORDER = `SELECT o.id, o.order_number, o.user_id, o.store_id, o.status, o.total_amount, o.reservation_id,
  o.payment_id, o.expires_at, o.confirmed_at, o.cancelled_at, o.failure_reason, o.refund_id, o.version, o.created_at,
  o.updated_at,
  COALESCE((SELECT json_agg(json_build_object('productId', i.product_id, 'productName', i.product_name,
    'unitPrice', i.unit_price, 'quantity', i.quantity)) FROM p_order_item i WHERE i.order_id = o.id), '[]') AS items
  FROM p_order o`;

export function orderFromRow(row: OrderRowWithItemsJson): OrderState {
  return {
    id: row.id,
    orderNumber: row.order_number,
    userId: row.user_id,
    storeId: row.store_id,
    status: row.status as OrderStatus,
    items: row.items.map((i) => ({
      productId: i.productId,
      productName: i.productName,
      // JSON numbers past 2^53 would arrive rounded: refuse them as the int8 parser does.
      unitPrice: int8ToNumber(i.unitPrice),
      quantity: i.quantity,
    })),
    totalAmount: row.total_amount,
    reservationId: row.reservation_id,
    paymentId: row.payment_id,
    expiresAt: row.expires_at,
    confirmedAt: row.confirmed_at,
    cancelledAt: row.cancelled_at,
    failureReason: row.failure_reason,
    refundId: row.refund_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
