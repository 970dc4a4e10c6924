import { z } from "@hono/zod-openapi";
import { ORDER_STATUSES, STORE_SETTABLE_STATUSES, type OrderState } from "@order-flow/domain";
import { dateTime, uuid } from "../common-schemas.ts";

export const orderItemSchema = z
  .object({
    productId: uuid,
    productName: z.string(),
    unitPrice: z.number().int(),
    quantity: z.number().int(),
  })
  .openapi("OrderItem");

export const orderSchema = z
  .object({
    id: uuid,
    orderNumber: z.string().openapi({ example: "ORD-20261124-8F3K2Q" }),
    userId: uuid,
    storeId: uuid,
    status: z.enum(ORDER_STATUSES),
    items: z.array(orderItemSchema),
    totalAmount: z.number().int(),
    reservationId: z.string().nullable(),
    paymentId: uuid.nullable(),
    expiresAt: dateTime,
    confirmedAt: dateTime.nullable(),
    cancelledAt: dateTime.nullable(),
    failureReason: z.string().nullable(),
    refundId: z.string().nullable(),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .openapi("Order");

export const createOrderBodySchema = z
  .strictObject({
    storeId: uuid,
    items: z
      .array(
        z.strictObject({
          productId: uuid,
          quantity: z.number().int().min(1).max(99),
        }),
      )
      .min(1)
      .max(50)
      .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, {
        message: "products must be distinct",
      }),
  })
  .openapi("CreateOrder");

export const idempotencyHeaderSchema = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({
      description: "Idempotency-Key (header names are case-insensitive). Same key and body within 24 h: the first response again, nothing reserved twice (scoped to the caller)",
    }),
});

export const orderIdParamsSchema = z.object({
  id: uuid.openapi({ param: { name: "id", in: "path" }, description: "The order's id" }),
});

export const listOrdersQuerySchema = z.object({
  status: z.enum(ORDER_STATUSES).optional().openapi({ description: "Only orders in this status" }),
  storeId: uuid.optional().openapi({ description: "Only orders of this store" }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size" }),
  cursor: z.string().min(1).max(500).optional().openapi({ description: "nextCursor of the previous page" }),
});

export const orderPageSchema = z
  .object({ items: z.array(orderSchema), nextCursor: z.string().nullable() })
  .openapi("OrderPage");

export const auditEntrySchema = z
  .object({
    eventType: z.string(),
    changeSummary: z.string(),
    actorUserId: uuid.nullable(),
    recordedAt: dateTime,
    metadata: z.record(z.string(), z.unknown()),
  })
  .openapi("AuditEntry");

export const paymentAcceptedSchema = z
  .object({
    orderId: uuid,
    paymentId: uuid,
    amount: z.number().int(),
    status: z.literal("PAYMENT_PENDING"),
    clientSecret: z.string().optional().openapi({ description: "Stripe gateway only: the PaymentIntent's client secret, for Stripe.js" }),
  })
  .openapi("PaymentRequested");

export const setStatusBodySchema = z
  .strictObject({ status: z.enum(STORE_SETTABLE_STATUSES), reason: z.string().max(500).optional() })
  .openapi("SetOrderStatus");

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toOrderResponse(order: OrderState): z.infer<typeof orderSchema> {
  return {
    id: order.id,
    orderNumber: order.orderNumber,
    userId: order.userId,
    storeId: order.storeId,
    status: order.status,
    items: order.items.map((i) => ({
      productId: i.productId,
      productName: i.productName,
      unitPrice: i.unitPrice,
      quantity: i.quantity,
    })),
    totalAmount: order.totalAmount,
    reservationId: order.reservationId,
    paymentId: order.paymentId,
    expiresAt: order.expiresAt.toISOString(),
    confirmedAt: iso(order.confirmedAt),
    cancelledAt: iso(order.cancelledAt),
    failureReason: order.failureReason,
    refundId: order.refundId,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
