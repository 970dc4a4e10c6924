import { z } from "zod";
import { eventEnvelopeShape, isoDateTimeSchema, stockLineSchema } from "./event-envelope.ts";

export const stockReservedSchema = z.object({
  type: z.literal("StockReserved"),
  ...eventEnvelopeShape,
  reservationId: z.string().min(1),
  storeId: z.string().min(1),
  items: z.array(stockLineSchema),
  /** when the reservation's hold expires */
  expiresAt: isoDateTimeSchema,
});

export type StockReserved = z.infer<typeof stockReservedSchema>;
