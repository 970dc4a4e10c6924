import { z } from "zod";
import { orderItemSchema } from "../order/order-item.ts";
import type { OrderState } from "../order/order-state.ts";
import { orderStatusSchema } from "../order/order-status.ts";
import { isoDateTimeSchema } from "./event-envelope.ts";

/**
 * The order as the transition that raised an event left it, JSON-safe (dates as ISO strings):
 * the handler of the event decides and writes conditionally on it without reading first.
 */
export const orderSnapshotSchema = z.object({
  id: z.guid(),
  orderNumber: z.string().min(1),
  userId: z.string().min(1),
  storeId: z.string().min(1),
  status: orderStatusSchema,
  items: z.array(orderItemSchema),
  totalAmount: z.number().int().min(0),
  reservationId: z.string().min(1).nullable(),
  paymentId: z.string().min(1).nullable(),
  expiresAt: isoDateTimeSchema,
  confirmedAt: isoDateTimeSchema.nullable(),
  cancelledAt: isoDateTimeSchema.nullable(),
  failureReason: z.string().nullable(),
  refundId: z.string().min(1).nullable(),
  version: z.number().int().min(0),
  createdAt: isoDateTimeSchema,
  updatedAt: isoDateTimeSchema,
});

export type OrderSnapshot = z.infer<typeof orderSnapshotSchema>;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const date = (s: string | null): Date | null => (s === null ? null : new Date(s));

export function toOrderSnapshot(order: OrderState): OrderSnapshot {
  return {
    ...order,
    items: order.items.map((i) => ({ ...i })),
    expiresAt: order.expiresAt.toISOString(),
    confirmedAt: iso(order.confirmedAt),
    cancelledAt: iso(order.cancelledAt),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export function fromOrderSnapshot(snapshot: OrderSnapshot): OrderState {
  return {
    ...snapshot,
    items: snapshot.items.map((i) => ({ ...i })),
    expiresAt: new Date(snapshot.expiresAt),
    confirmedAt: date(snapshot.confirmedAt),
    cancelledAt: date(snapshot.cancelledAt),
    createdAt: new Date(snapshot.createdAt),
    updatedAt: new Date(snapshot.updatedAt),
  };
}
