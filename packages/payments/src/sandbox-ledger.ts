export type SandboxCaptureEntry = { pgTransactionId: string; paymentId: string; amount: number };

export type SandboxRefundEntry = { refundId: string; pgTransactionId: string; amount: number };

export type NewSandboxRefund = {
  refundId: string;
  idempotencyKey: string;
  pgTransactionId: string;
  paymentId: string;
  amount: number;
  reason: string;
  at: Date;
};

/**
 * The sandbox PG's own books: what it captured and what it refunded, as a PG's dashboard
 * shows them. Shared by the API (captures) and the workers (refunds), so the adapter in use
 * keeps it outside process memory (packages/db: PostgreSQL tables of its own).
 */
export interface SandboxLedger {
  recordCapture(input: { pgTransactionId: string; paymentId: string; orderId: string; amount: number; at: Date }): Promise<void>;
  findCapture(pgTransactionId: string): Promise<SandboxCaptureEntry | null>;
  /**
   * Records the refund once. A repeat with the same idempotency key, or of a capture already
   * refunded, records nothing and answers the refund on the books (whose capture may differ
   * from the one asked for: the caller reused a key).
   */
  recordRefund(input: NewSandboxRefund): Promise<SandboxRefundEntry>;
  /** Captures and refunds of one payment, oldest first. */
  forPayment(paymentId: string): Promise<{ captures: SandboxCaptureEntry[]; refunds: SandboxRefundEntry[] }>;
}

/** The ledger in memory: for unit tests of the adapter, never for a running system (one process only). */
export class InMemorySandboxLedger implements SandboxLedger {
  readonly #captures = new Map<string, SandboxCaptureEntry>();
  readonly #refunds: (SandboxRefundEntry & { idempotencyKey: string; paymentId: string })[] = [];

  async recordCapture(input: { pgTransactionId: string; paymentId: string; orderId: string; amount: number; at: Date }): Promise<void> {
    if (!this.#captures.has(input.pgTransactionId)) {
      this.#captures.set(input.pgTransactionId, { pgTransactionId: input.pgTransactionId, paymentId: input.paymentId, amount: input.amount });
    }
  }

  async findCapture(pgTransactionId: string): Promise<SandboxCaptureEntry | null> {
    return this.#captures.get(pgTransactionId) ?? null;
  }

  async recordRefund(input: NewSandboxRefund): Promise<SandboxRefundEntry> {
    const existing = this.#refunds.find(
      (r) => r.idempotencyKey === input.idempotencyKey || r.refundId === input.refundId || r.pgTransactionId === input.pgTransactionId,
    );
    const entry = existing ?? { ...input };
    if (!existing) this.#refunds.push(entry);
    return { refundId: entry.refundId, pgTransactionId: entry.pgTransactionId, amount: entry.amount };
  }

  async forPayment(paymentId: string) {
    return {
      captures: [...this.#captures.values()].filter((c) => c.paymentId === paymentId),
      refunds: this.#refunds
        .filter((r) => r.paymentId === paymentId)
        .map((r) => ({ refundId: r.refundId, pgTransactionId: r.pgTransactionId, amount: r.amount })),
    };
  }
}
