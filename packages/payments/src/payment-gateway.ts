/** What the system asks of a payment gateway (PG). Adapters: sandbox (default) and Stripe. */
export interface PaymentGateway {
  /**
   * Opens a payment at the PG; the result comes back later by the signed webhook. Safe to
   * repeat: the same paymentId always opens the same payment. A PG whose customer pays in the
   * browser returns the secret the client needs for that (Stripe.js's client secret).
   */
  requestPayment(input: { paymentId: string; orderId: string; amount: number }): Promise<{ accepted: true; clientSecret?: string }>;
  /**
   * Gives one capture back: `captureId` is the capture's pgTransactionId, `amount` what that
   * capture took. Each capture is refunded on its own, with its own refund id; the PG dedupes
   * on idempotencyKey, so a repeated call returns the same refund and never moves money twice.
   * Throws PaymentGatewayError.
   */
  refund(input: {
    paymentId: string;
    /** the capture to give back: its pgTransactionId (for Stripe the charge id) */
    captureId: string;
    amount: number;
    reason: string;
    idempotencyKey: string;
  }): Promise<{ refundId: string }>;
}

export type PaymentGatewayErrorKind = "DECLINED" | "TIMEOUT" | "UNAVAILABLE";

/** A PG call that failed; `code` is stable across processes (instanceof is not). */
export class PaymentGatewayError extends Error {
  readonly code = "PAYMENT_GATEWAY_ERROR";
  readonly kind: PaymentGatewayErrorKind;

  constructor(kind: PaymentGatewayErrorKind, message: string) {
    super(message);
    this.name = "PaymentGatewayError";
    this.kind = kind;
  }
}

export function isPaymentGatewayError(error: unknown): error is PaymentGatewayError {
  return (
    error instanceof PaymentGatewayError ||
    (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "PAYMENT_GATEWAY_ERROR")
  );
}
