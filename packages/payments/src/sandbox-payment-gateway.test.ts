import { describe, expect, it } from "vitest";
import { isPaymentGatewayError } from "./payment-gateway.ts";
import { InMemorySandboxLedger } from "./sandbox-ledger.ts";
import { SandboxPaymentGateway, sandboxRefundId } from "./sandbox-payment-gateway.ts";

const paymentId = "0b7a6f1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b";
const orderId = "1b7a6f1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b";

async function withCaptures(...captures: [string, number][]) {
  const ledger = new InMemorySandboxLedger();
  for (const [pgTransactionId, amount] of captures) {
    await ledger.recordCapture({ pgTransactionId, paymentId, orderId, amount, at: new Date() });
  }
  return ledger;
}

describe("sandbox payment gateway", () => {
  it("refunds each capture on its own, with a refund id of its own, once", async () => {
    const ledger = await withCaptures(["cap_a", 100], ["cap_b", 1]);
    const pg = new SandboxPaymentGateway({ ledger });
    const a = await pg.refund({ paymentId, captureId: "cap_a", amount: 100, reason: "x", idempotencyKey: "k1" });
    const again = await pg.refund({ paymentId, captureId: "cap_a", amount: 100, reason: "x", idempotencyKey: "k1" });
    const b = await pg.refund({ paymentId, captureId: "cap_b", amount: 1, reason: "x", idempotencyKey: "k2" });
    expect(again.refundId).toBe(a.refundId);
    expect(a.refundId).toBe(sandboxRefundId("cap_a"));
    expect(b.refundId).toBe(sandboxRefundId("cap_b"));
    expect(b.refundId).not.toBe(a.refundId);
    expect(await ledger.forPayment(paymentId)).toEqual({
      captures: [
        { pgTransactionId: "cap_a", paymentId, amount: 100 },
        { pgTransactionId: "cap_b", paymentId, amount: 1 },
      ],
      refunds: [
        { refundId: a.refundId, pgTransactionId: "cap_a", amount: 100 },
        { refundId: b.refundId, pgTransactionId: "cap_b", amount: 1 },
      ],
    });
  });

  it("refuses more than the capture took, a capture of another payment, and a key reused for another capture", async () => {
    const ledger = await withCaptures(["cap_a", 100], ["cap_b", 5]);
    const pg = new SandboxPaymentGateway({ ledger });
    const over = await pg.refund({ paymentId, captureId: "cap_a", amount: 101, reason: "x", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(over) && over.kind).toBe("DECLINED");
    const other = await pg
      .refund({ paymentId: orderId, captureId: "cap_a", amount: 1, reason: "x", idempotencyKey: "k" })
      .catch((e: unknown) => e);
    expect(isPaymentGatewayError(other) && other.kind).toBe("DECLINED");
    await pg.refund({ paymentId, captureId: "cap_a", amount: 100, reason: "x", idempotencyKey: "same" });
    const reused = await pg.refund({ paymentId, captureId: "cap_b", amount: 5, reason: "x", idempotencyKey: "same" }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(reused) && reused.kind).toBe("DECLINED");
    expect((await ledger.forPayment(paymentId)).refunds).toHaveLength(1);
  });

  it("fails refunds at the configured rate with a typed error, recording nothing", async () => {
    const ledger = await withCaptures(["cap_a", 1]);
    const always = new SandboxPaymentGateway({ ledger, refundFailureRate: 1 });
    const error = await always.refund({ paymentId, captureId: "cap_a", amount: 1, reason: "x", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(error)).toBe(true);
    expect((await ledger.forPayment(paymentId)).refunds).toEqual([]);
    const half = new SandboxPaymentGateway({ ledger, refundFailureRate: 0.5, random: () => 0.7 });
    await expect(half.refund({ paymentId, captureId: "cap_a", amount: 1, reason: "x", idempotencyKey: "k" })).resolves.toBeDefined();
    expect(() => new SandboxPaymentGateway({ ledger, refundFailureRate: 2 })).toThrow(RangeError);
  });

  it("times refunds out at the configured rate, after carrying them out, with a typed error", async () => {
    const ledger = await withCaptures(["cap_a", 1]);
    const pg = new SandboxPaymentGateway({ ledger, refundFailureRate: 0.3, refundTimeoutRate: 0.1, refundTimeoutMs: 20, random: () => 0.35 });
    const error = await pg.refund({ paymentId, captureId: "cap_a", amount: 1, reason: "x", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(error) && error.kind).toBe("TIMEOUT");
    expect((await ledger.forPayment(paymentId)).refunds).toHaveLength(1);
    // Below the failure share it is refused; above both shares it succeeds with the same refund.
    const refused = new SandboxPaymentGateway({ ledger, refundFailureRate: 0.3, refundTimeoutRate: 0.1, random: () => 0.1 });
    const declined = await refused.refund({ paymentId, captureId: "cap_a", amount: 1, reason: "x", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(declined) && declined.kind).toBe("DECLINED");
    const ok = new SandboxPaymentGateway({ ledger, refundFailureRate: 0.3, refundTimeoutRate: 0.1, random: () => 0.5 });
    await expect(ok.refund({ paymentId, captureId: "cap_a", amount: 1, reason: "x", idempotencyKey: "k" })).resolves.toEqual({
      refundId: sandboxRefundId("cap_a"),
    });
    expect((await ledger.forPayment(paymentId)).refunds).toHaveLength(1);
    expect(() => new SandboxPaymentGateway({ ledger, refundTimeoutRate: -0.1 })).toThrow(RangeError);
  });

  it("accepts payment requests", async () => {
    await expect(new SandboxPaymentGateway({ ledger: new InMemorySandboxLedger() }).requestPayment({ paymentId, orderId, amount: 5 })).resolves.toEqual({
      accepted: true,
    });
  });
});
