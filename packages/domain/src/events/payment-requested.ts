import { z } from "zod";
import { eventEnvelopeShape } from "./event-envelope.ts";

export const paymentRequestedSchema = z.object({
  type: z.literal("PaymentRequested"),
  ...eventEnvelopeShape,
  paymentId: z.string().min(1),
  amount: z.number().int().min(0),
});

export type PaymentRequested = z.infer<typeof paymentRequestedSchema>;
