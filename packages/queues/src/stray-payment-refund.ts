import { eventEnvelopeShape } from "@order-flow/domain";
import { z } from "zod";

/**
 * Why a captured payment is given back without the order changing (API.md webhook rules):
 * the order no longer waits for payment (timed out, cancelled, already paid), the payment is
 * not the order's current one, or the paid amount differs from the order total.
 */
export const STRAY_REFUND_REASONS = ["NOT_PENDING", "NOT_CURRENT_PAYMENT", "AMOUNT_MISMATCH"] as const;

export type StrayRefundReason = (typeof STRAY_REFUND_REASONS)[number];

/**
 * Written to the outbox by the webhook (in the transaction that accepts the PAID event);
 * the worker refunds that one capture through the PG, records it and audits it once.
 */
export const strayPaymentRefundSchema = z.object({
  type: z.literal("StrayPaymentRefund"),
  ...eventEnvelopeShape,
  paymentId: z.guid(),
  /** what this capture took: exactly what goes back */
  amount: z.number().int().min(0),
  reason: z.enum(STRAY_REFUND_REASONS),
  /** the PG's capture id: the capture refunded, on its own */
  pgTransactionId: z.string().min(1),
});

export type StrayPaymentRefund = z.infer<typeof strayPaymentRefundSchema>;
