import { createHash } from "node:crypto";
import { PaymentGatewayError, type PaymentGateway } from "./payment-gateway.ts";
import type { SandboxLedger } from "./sandbox-ledger.ts";

export type SandboxPaymentGatewayOptions = {
  /** the sandbox PG's books: captures (recorded by the API) and the refunds made here */
  ledger: SandboxLedger;
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

/**
 * A refund id derived from the capture (its pgTransactionId): each capture has its own, and a
 * repeated refund of one capture is the same refund, never a second one.
 */
export function sandboxRefundId(captureId: string): string {
  return `rf_${createHash("sha256").update(`refund:${captureId}`).digest("hex").slice(0, 24)}`;
}

/**
 * The sandbox PG. Payments are completed by POST /sandbox/payments/:id/complete on the API (which
 * records the capture and sends the signed webhook), so requestPayment only accepts; refunds
 * succeed unless the failure rate says otherwise, and land in the ledger.
 */
export class SandboxPaymentGateway implements PaymentGateway {
  readonly #ledger: SandboxLedger;
  readonly #failureRate: number;
  readonly #timeoutRate: number;
  readonly #timeoutMs: number;
  readonly #random: () => number;

  constructor(options: SandboxPaymentGatewayOptions) {
    const rate = options.refundFailureRate ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`refundFailureRate must be within 0–1: ${rate}`);
    const timeoutRate = options.refundTimeoutRate ?? 0;
    if (!(timeoutRate >= 0 && timeoutRate <= 1)) throw new RangeError(`refundTimeoutRate must be within 0–1: ${timeoutRate}`);
    this.#ledger = options.ledger;
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

  async refund(input: {
    paymentId: string;
    captureId: string;
    amount: number;
    reason: string;
    idempotencyKey: string;
  }): Promise<{ refundId: string }> {
    const what = `capture ${input.captureId} of payment ${input.paymentId}`;
    // One draw decides: [0, failure) refused, [failure, failure + timeout) timed out, else refunded.
    const draw = this.#failureRate > 0 || this.#timeoutRate > 0 ? this.#random() : 1;
    if (draw < this.#failureRate) {
      throw new PaymentGatewayError("DECLINED", `sandbox refused the refund of ${what}`);
    }
    if (!Number.isSafeInteger(input.amount) || input.amount < 0) {
      throw new PaymentGatewayError("DECLINED", `invalid refund amount ${input.amount} for ${what}`);
    }
    // A capture on the books is refunded at most what it took, and only for its own payment. One
    // it never saw (a webhook sent by hand, not through the sandbox) is refunded as asked.
    const captured = await this.#ledger.findCapture(input.captureId);
    if (captured && captured.paymentId !== input.paymentId) {
      throw new PaymentGatewayError("DECLINED", `capture ${input.captureId} belongs to payment ${captured.paymentId}, not ${input.paymentId}`);
    }
    if (captured && input.amount > captured.amount) {
      throw new PaymentGatewayError("DECLINED", `refund of ${input.amount} exceeds the ${captured.amount} taken by ${what}`);
    }
    const refund = await this.#ledger.recordRefund({
      refundId: sandboxRefundId(input.captureId),
      idempotencyKey: input.idempotencyKey,
      pgTransactionId: input.captureId,
      paymentId: input.paymentId,
      amount: input.amount,
      reason: input.reason,
      at: new Date(),
    });
    if (refund.pgTransactionId !== input.captureId) {
      throw new PaymentGatewayError("DECLINED", `idempotency key ${input.idempotencyKey} was used for capture ${refund.pgTransactionId}`);
    }
    if (draw < this.#failureRate + this.#timeoutRate) {
      await new Promise((resolve) => setTimeout(resolve, this.#timeoutMs));
      throw new PaymentGatewayError("TIMEOUT", `sandbox refund of ${what} timed out (carried out, answer lost)`);
    }
    return { refundId: refund.refundId };
  }
}
