import { z } from "zod";
import { eventEnvelopeShape } from "./event-envelope.ts";
import { orderSnapshotSchema } from "./order-snapshot.ts";

export const paymentCompletedSchema = z.object({
  type: z.literal("PaymentCompleted"),
  ...eventEnvelopeShape,
  paymentId: z.string().min(1),
  amount: z.number().int().min(0),
  pgTransactionId: z.string().min(1),
  /** the order as this event left it (absent in events written before it was added) */
  orderState: orderSnapshotSchema.optional(),
});

export type PaymentCompleted = z.infer<typeof paymentCompletedSchema>;
