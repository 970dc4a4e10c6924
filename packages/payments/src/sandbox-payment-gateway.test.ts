import { describe, expect, it } from "vitest";
import { isPaymentGatewayError } from "./payment-gateway.ts";
import { SandboxPaymentGateway, sandboxRefundId } from "./sandbox-payment-gateway.ts";

const paymentId = "0b7a6f1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b";

describe("sandbox payment gateway", () => {
  it("refunds with a refund id that is the same for the same payment", async () => {
    const pg = new SandboxPaymentGateway();
    const a = await pg.refund({ paymentId, captureId: "sbx_1", amount: 100, reason: "x", idempotencyKey: "k1" });
    const b = await pg.refund({ paymentId, captureId: "sbx_1", amount: 100, reason: "x", idempotencyKey: "k2" });
    expect(a.refundId).toBe(b.refundId);
    expect(a.refundId).toBe(sandboxRefundId(paymentId));
    expect(sandboxRefundId("another")).not.toBe(a.refundId);
  });

  it("fails refunds at the configured rate with a typed error", async () => {
    const always = new SandboxPaymentGateway({ refundFailureRate: 1 });
    const error = await always.refund({ paymentId, captureId: "sbx_1", amount: 1, reason: "x", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(error)).toBe(true);
    const half = new SandboxPaymentGateway({ refundFailureRate: 0.5, random: () => 0.7 });
    await expect(half.refund({ paymentId, captureId: "sbx_1", amount: 1, reason: "x", idempotencyKey: "k" })).resolves.toBeDefined();
    expect(() => new SandboxPaymentGateway({ refundFailureRate: 2 })).toThrow(RangeError);
  });

  it("times refunds out at the configured rate, after the configured delay, with a typed error", async () => {
    const pg = new SandboxPaymentGateway({ refundFailureRate: 0.3, refundTimeoutRate: 0.1, refundTimeoutMs: 20, random: () => 0.35 });
    const started = Date.now();
    const error = await pg.refund({ paymentId, captureId: "sbx_1", amount: 1, reason: "x", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(isPaymentGatewayError(error) && error.kind).toBe("TIMEOUT");
    // Below the failure share it is refused; above both shares it succeeds with the usual id.
    const refused = new SandboxPaymentGateway({ refundFailureRate: 0.3, refundTimeoutRate: 0.1, random: () => 0.1 });
    const declined = await refused.refund({ paymentId, captureId: "sbx_1", amount: 1, reason: "x", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(declined) && declined.kind).toBe("DECLINED");
    const ok = new SandboxPaymentGateway({ refundFailureRate: 0.3, refundTimeoutRate: 0.1, random: () => 0.5 });
    await expect(ok.refund({ paymentId, captureId: "sbx_1", amount: 1, reason: "x", idempotencyKey: "k" })).resolves.toEqual({ refundId: sandboxRefundId(paymentId) });
    expect(() => new SandboxPaymentGateway({ refundTimeoutRate: -0.1 })).toThrow(RangeError);
  });

  it("accepts payment requests", async () => {
    await expect(new SandboxPaymentGateway().requestPayment({ paymentId, orderId: paymentId, amount: 5 })).resolves.toEqual({
      accepted: true,
    });
  });
});
