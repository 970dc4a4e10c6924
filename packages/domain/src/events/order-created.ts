import { z } from "zod";
import { orderItemSchema } from "../order/order-item.ts";
import { eventEnvelopeShape, isoDateTimeSchema } from "./event-envelope.ts";

export const orderCreatedSchema = z.object({
  type: z.literal("OrderCreated"),
  ...eventEnvelopeShape,
  userId: z.string().min(1),
  storeId: z.string().min(1),
  orderNumber: z.string().min(1),
  totalAmount: z.number().int().min(0),
  /** payment deadline: the timeout job fires then */
  expiresAt: isoDateTimeSchema,
  items: z.array(orderItemSchema),
});

export type OrderCreated = z.infer<typeof orderCreatedSchema>;
