import { createHash } from "node:crypto";
import { PaymentGatewayError, type PaymentGateway } from "./payment-gateway.ts";

export type SandboxPaymentGatewayOptions = {
  /** 0–1: the share of refund calls that fail (SANDBOX_REFUND_FAILURE_RATE) */
  refundFailureRate?: number;
  /** injectable for tests; returns [0, 1) */
  random?: () => number;
};

/** A refund id derived from the payment: a repeated refund is the same refund, never a second one. */
export function sandboxRefundId(paymentId: string): string {
  return `rf_${createHash("sha256").update(`refund:${paymentId}`).digest("hex").slice(0, 24)}`;
}

/**
 * The sandbox PG. Payments are completed by POST /sandbox/payments/:id/complete on the API (which
 * sends the signed webhook), so requestPayment only accepts; refunds succeed unless the failure
 * rate says otherwise.
 */
export class SandboxPaymentGateway implements PaymentGateway {
  readonly #failureRate: number;
  readonly #random: () => number;

  constructor(options: SandboxPaymentGatewayOptions = {}) {
    const rate = options.refundFailureRate ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`refundFailureRate must be within 0–1: ${rate}`);
    this.#failureRate = rate;
    this.#random = options.random ?? Math.random;
  }

  async requestPayment(input: { paymentId: string; orderId: string; amount: number }): Promise<{ accepted: true }> {
    if (!Number.isSafeInteger(input.amount) || input.amount < 0) {
      throw new PaymentGatewayError("DECLINED", `invalid amount ${input.amount}`);
    }
    return { accepted: true };
  }

  async refund(input: { paymentId: string; amount: number; reason: string; idempotencyKey: string }): Promise<{ refundId: string }> {
    if (this.#failureRate > 0 && this.#random() < this.#failureRate) {
      throw new PaymentGatewayError("DECLINED", `sandbox refused the refund of payment ${input.paymentId}`);
    }
    return { refundId: sandboxRefundId(input.paymentId) };
  }
}
