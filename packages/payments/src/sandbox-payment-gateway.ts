import { createHash } from "node:crypto";
import { PaymentGatewayError, type PaymentGateway } from "./payment-gateway.ts";

export type SandboxPaymentGatewayOptions = {
  /** 0–1: the share of refund calls that fail (SANDBOX_REFUND_FAILURE_RATE) */
  refundFailureRate?: number;
  /**
   * 0–1: the share of refund calls that time out (SANDBOX_REFUND_TIMEOUT_RATE). The refund is
   * carried out at the PG but the answer is lost, the worst case for "never twice".
   */
  refundTimeoutRate?: number;
  /** how long a timed-out refund call hangs before it fails (default 200 ms) */
  refundTimeoutMs?: number;
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
  readonly #timeoutRate: number;
  readonly #timeoutMs: number;
  readonly #random: () => number;

  constructor(options: SandboxPaymentGatewayOptions = {}) {
    const rate = options.refundFailureRate ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`refundFailureRate must be within 0–1: ${rate}`);
    const timeoutRate = options.refundTimeoutRate ?? 0;
    if (!(timeoutRate >= 0 && timeoutRate <= 1)) throw new RangeError(`refundTimeoutRate must be within 0–1: ${timeoutRate}`);
    this.#failureRate = rate;
    this.#timeoutRate = timeoutRate;
    this.#timeoutMs = options.refundTimeoutMs ?? 200;
    this.#random = options.random ?? Math.random;
  }

  async requestPayment(input: { paymentId: string; orderId: string; amount: number }): Promise<{ accepted: true }> {
    if (!Number.isSafeInteger(input.amount) || input.amount < 0) {
      throw new PaymentGatewayError("DECLINED", `invalid amount ${input.amount}`);
    }
    return { accepted: true };
  }

  async refund(input: Parameters<PaymentGateway["refund"]>[0]): Promise<{ refundId: string }> {
    // One draw decides: [0, failure) refused, [failure, failure + timeout) timed out, else refunded.
    const draw = this.#failureRate > 0 || this.#timeoutRate > 0 ? this.#random() : 1;
    if (draw < this.#failureRate) {
      throw new PaymentGatewayError("DECLINED", `sandbox refused the refund of payment ${input.paymentId}`);
    }
    if (draw < this.#failureRate + this.#timeoutRate) {
      await new Promise((resolve) => setTimeout(resolve, this.#timeoutMs));
      throw new PaymentGatewayError("TIMEOUT", `sandbox refund of payment ${input.paymentId} timed out (carried out, answer lost)`);
    }
    return { refundId: sandboxRefundId(input.paymentId) };
  }
}
