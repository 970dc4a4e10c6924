import { z } from "zod";
import { eventEnvelopeShape } from "./event-envelope.ts";
import { orderSnapshotSchema } from "./order-snapshot.ts";

export const orderConfirmedSchema = z.object({
  type: z.literal("OrderConfirmed"),
  ...eventEnvelopeShape,
  storeId: z.string().min(1),
  reservationId: z.string().min(1).nullable(),
  /** the order as this event left it (absent in events written before it was added) */
  orderState: orderSnapshotSchema.optional(),
});

export type OrderConfirmed = z.infer<typeof orderConfirmedSchema>;
