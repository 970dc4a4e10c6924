import { z } from "zod";
import { orderStatusSchema } from "../order/order-status.ts";
import { eventEnvelopeShape, stockLineSchema } from "./event-envelope.ts";

/** Raised by a cancel (customer/admin) and by a store rejection (rejectedByStore). */
export const orderCancelledSchema = z.object({
  type: z.literal("OrderCancelled"),
  ...eventEnvelopeShape,
  previousStatus: orderStatusSchema,
  reason: z.string(),
  /** money was captured: refund it through the PG */
  paid: z.boolean(),
  /** the reservation was already confirmed into a sale: give the units back to on_hand */
  stockSold: z.boolean(),
  rejectedByStore: z.boolean(),
  paymentId: z.string().min(1).nullable(),
  reservationId: z.string().min(1).nullable(),
  amount: z.number().int().min(0),
  storeId: z.string().min(1),
  items: z.array(stockLineSchema),
});

export type OrderCancelled = z.infer<typeof orderCancelledSchema>;
