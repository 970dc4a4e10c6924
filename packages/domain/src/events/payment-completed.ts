import { z } from "zod";
import { eventEnvelopeShape } from "./event-envelope.ts";

export const paymentCompletedSchema = z.object({
  type: z.literal("PaymentCompleted"),
  ...eventEnvelopeShape,
  paymentId: z.string().min(1),
  amount: z.number().int().min(0),
  pgTransactionId: z.string().min(1),
});

export type PaymentCompleted = z.infer<typeof paymentCompletedSchema>;
