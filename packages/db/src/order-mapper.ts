import type { OrderItem, OrderState, OrderStatus } from "@order-flow/domain";
import { int8ToNumber } from "./int8.ts";
import type { Order as OrderRow, OrderItem as OrderItemRow } from "./generated/prisma/client.ts";

export type OrderRowWithItems = OrderRow & { items: OrderItemRow[] };

export function toDomain(row: OrderRowWithItems): OrderState {
  return {
    id: row.id,
    orderNumber: row.orderNumber,
    userId: row.userId,
    storeId: row.storeId,
    status: row.status as OrderStatus,
    items: row.items.map(
      (i): OrderItem => ({
        productId: i.productId,
        productName: i.productName,
        unitPrice: int8ToNumber(i.unitPrice),
        quantity: i.quantity,
      }),
    ),
    totalAmount: int8ToNumber(row.totalAmount),
    reservationId: row.reservationId,
    paymentId: row.paymentId,
    expiresAt: row.expiresAt,
    confirmedAt: row.confirmedAt,
    cancelledAt: row.cancelledAt,
    failureReason: row.failureReason,
    refundId: row.refundId,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
