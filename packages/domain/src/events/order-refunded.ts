import { z } from "zod";
import { eventEnvelopeShape } from "./event-envelope.ts";

const REFUND_PHASES = ["REQUESTED", "COMPLETED"] as const;

export const orderRefundedSchema = z.object({
  type: z.literal("OrderRefunded"),
  ...eventEnvelopeShape,
  phase: z.enum(REFUND_PHASES),
  paymentId: z.string().min(1).nullable(),
  amount: z.number().int().min(0),
  reason: z.string().nullable(),
  /** set by the PG once refunded (phase COMPLETED) */
  refundId: z.string().min(1).nullable().optional(),
});

export type OrderRefunded = z.infer<typeof orderRefundedSchema>;
