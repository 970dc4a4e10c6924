import { z } from "zod";
import { eventEnvelopeShape } from "./event-envelope.ts";

export const orderConfirmedSchema = z.object({
  type: z.literal("OrderConfirmed"),
  ...eventEnvelopeShape,
  storeId: z.string().min(1),
  reservationId: z.string().min(1).nullable(),
});

export type OrderConfirmed = z.infer<typeof orderConfirmedSchema>;
