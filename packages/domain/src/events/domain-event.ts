import { z } from "zod";
import type { OrderAuditEventType } from "../audit/order-audit-event-type.ts";
import { orderCancelledSchema } from "./order-cancelled.ts";
import { orderConfirmedSchema } from "./order-confirmed.ts";
import { orderCreatedSchema } from "./order-created.ts";
import { orderRefundedSchema } from "./order-refunded.ts";
import { orderTimeoutSchema } from "./order-timeout.ts";
import { paymentCompletedSchema } from "./payment-completed.ts";
import { paymentRequestedSchema } from "./payment-requested.ts";
import { stockReservedSchema } from "./stock-reserved.ts";

export const DOMAIN_EVENT_TYPES = [
  "OrderCreated",
  "StockReserved",
  "PaymentRequested",
  "PaymentCompleted",
  "OrderConfirmed",
  "OrderCancelled",
  "OrderRefunded",
  "OrderTimeout",
] as const;

export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

export const domainEventSchema = z.discriminatedUnion("type", [
  orderCreatedSchema,
  stockReservedSchema,
  paymentRequestedSchema,
  paymentCompletedSchema,
  orderConfirmedSchema,
  orderCancelledSchema,
  orderRefundedSchema,
  orderTimeoutSchema,
]);

export type DomainEvent = z.infer<typeof domainEventSchema>;

/** The event of a given type, e.g. DomainEventOf<"OrderCreated">. */
export type DomainEventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

/** One schema per event type, for workers that parse a known type. */
export const DOMAIN_EVENT_SCHEMAS = {
  OrderCreated: orderCreatedSchema,
  StockReserved: stockReservedSchema,
  PaymentRequested: paymentRequestedSchema,
  PaymentCompleted: paymentCompletedSchema,
  OrderConfirmed: orderConfirmedSchema,
  OrderCancelled: orderCancelledSchema,
  OrderRefunded: orderRefundedSchema,
  OrderTimeout: orderTimeoutSchema,
} as const satisfies { [T in DomainEventType]: z.ZodType<DomainEventOf<T>> };

/** p_order_audit.event_type written for each event. */
export const EVENT_AUDIT_TYPE = {
  OrderCreated: "ORDER_CREATED",
  StockReserved: "STOCK_RESERVED",
  PaymentRequested: "PAYMENT_REQUESTED",
  PaymentCompleted: "PAYMENT_COMPLETED",
  OrderConfirmed: "ORDER_CONFIRMED",
  OrderCancelled: "ORDER_CANCELLED",
  OrderRefunded: "ORDER_REFUNDED",
  OrderTimeout: "ORDER_TIMEOUT",
} as const satisfies { [T in DomainEventType]: OrderAuditEventType };
