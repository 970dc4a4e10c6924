import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureRepository } from "../src/capture-repository.ts";
import { OrderWrite } from "../src/order-write.ts";
import { sandboxLedgerRepository } from "../src/sandbox-ledger-repository.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const refund = (over: { refundId: string; idempotencyKey: string; pgTransactionId: string; paymentId: string; amount?: number }) => ({
  amount: 5,
  reason: "test",
  at: new Date(),
  ...over,
});

describe("sandbox ledger", () => {
  it("books captures once and lists a payment's captures and refunds, amounts past 2^31 intact", async () => {
    const ledger = sandboxLedgerRepository(db.database);
    const paymentId = randomUUID();
    const orderId = randomUUID();
    const big = 3_000_000_000_000;
    await ledger.recordCapture({ pgTransactionId: "cap-1", paymentId, orderId, amount: big, at: new Date() });
    await ledger.recordCapture({ pgTransactionId: "cap-1", paymentId, orderId, amount: 1, at: new Date() });
    await ledger.recordRefund(refund({ refundId: "rf-1", idempotencyKey: "k-1", pgTransactionId: "cap-1", paymentId, amount: big }));
    expect(await ledger.findCapture("cap-1")).toEqual({ pgTransactionId: "cap-1", paymentId, amount: big });
    expect(await ledger.forPayment(paymentId)).toEqual({
      captures: [{ pgTransactionId: "cap-1", paymentId, amount: big }],
      refunds: [{ refundId: "rf-1", pgTransactionId: "cap-1", amount: big }],
    });
  });

  it("answers a repeated refund (same key, or same capture) with the one on the books; twins at once make one", async () => {
    const ledger = sandboxLedgerRepository(db.database);
    const paymentId = randomUUID();
    const first = refund({ refundId: "rf-a", idempotencyKey: "key-a", pgTransactionId: "cap-a", paymentId });
    const twins = await Promise.all(Array.from({ length: 6 }, () => ledger.recordRefund(first)));
    expect(new Set(twins.map((t) => t.refundId))).toEqual(new Set(["rf-a"]));
    // Another key for the same capture: the same refund, never a second.
    expect(await ledger.recordRefund({ ...first, idempotencyKey: "key-b" })).toEqual({ refundId: "rf-a", pgTransactionId: "cap-a", amount: 5 });
    // The same key for another capture: the refund on the books under that key (the caller refuses it).
    const reused = await ledger.recordRefund(refund({ refundId: "rf-c", idempotencyKey: "key-a", pgTransactionId: "cap-c", paymentId }));
    expect(reused.pgTransactionId).toBe("cap-a");
    expect((await ledger.forPayment(paymentId)).refunds).toHaveLength(1);
  });
});

describe("capture repository", () => {
  it("records a capture with its webhook, once, and its refund once", async () => {
    const capture = {
      pgTransactionId: `pg-${randomUUID()}`,
      paymentId: randomUUID(),
      orderId: randomUUID(),
      amount: 20_000,
      kept: false,
      webhookEventId: randomUUID(),
      capturedAt: new Date(),
    };
    await new OrderWrite().recordCapture(capture).run(db.database);
    await new OrderWrite().recordCapture({ ...capture, amount: 1, kept: true }).run(db.database);
    expect(await captureRepository.findById(db.database, capture.pgTransactionId)).toEqual({
      ...capture,
      refundId: null,
      refundedAmount: null,
      refundedAt: null,
    });
    const now = new Date();
    expect(await captureRepository.recordRefund(db.database, { pgTransactionId: capture.pgTransactionId, refundId: "rf-1", amount: 20_000, now })).toBe(true);
    expect(await captureRepository.recordRefund(db.database, { pgTransactionId: capture.pgTransactionId, refundId: "rf-2", amount: 20_000, now })).toBe(false);
    expect(await captureRepository.listByOrder(db.database, capture.orderId)).toMatchObject([{ refundId: "rf-1", refundedAmount: 20_000 }]);
  });
});
