import { z } from "zod";
import { eventEnvelopeShape, isoDateTimeSchema } from "./event-envelope.ts";

/** The payment deadline passed; raised by the scheduler (delayed job or sweep), not by a transition. */
export const orderTimeoutSchema = z.object({
  type: z.literal("OrderTimeout"),
  ...eventEnvelopeShape,
  expiresAt: isoDateTimeSchema,
});

export type OrderTimeout = z.infer<typeof orderTimeoutSchema>;
