import { z } from "zod";
import { eventEnvelopeShape } from "./event-envelope.ts";
import { orderSnapshotSchema } from "./order-snapshot.ts";

export const paymentRequestedSchema = z.object({
  type: z.literal("PaymentRequested"),
  ...eventEnvelopeShape,
  paymentId: z.string().min(1),
  amount: z.number().int().min(0),
  /** the order as this event left it (absent in events written before it was added) */
  orderState: orderSnapshotSchema.optional(),
});

export type PaymentRequested = z.infer<typeof paymentRequestedSchema>;
