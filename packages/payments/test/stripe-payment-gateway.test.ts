// The Stripe adapter against the local Stripe-compatible server (no internet): intents,
// idempotency, refunds by charge, retries of 429 and 5xx under one key, refusals, webhooks.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPaymentGatewayError } from "../src/payment-gateway.ts";
import { StripePaymentGateway } from "../src/stripe-payment-gateway.ts";
import { LocalStripeServer } from "./support/local-stripe-server.ts";

const WEBHOOK_SECRET = "whsec_local_test";
let server: LocalStripeServer;
let gateway: StripePaymentGateway;

beforeAll(async () => {
  server = await LocalStripeServer.start({ webhookSecret: WEBHOOK_SECRET });
  gateway = new StripePaymentGateway({
    secretKey: "sk_test_local",
    webhookSecret: WEBHOOK_SECRET,
    apiBase: server.url,
    rateLimitBackoffMs: 20,
  });
});
afterAll(async () => server.close());

const newPayment = (amount = 24000) => ({ paymentId: randomUUID(), orderId: randomUUID(), amount });

async function paidCharge(amount = 24000) {
  const payment = newPayment(amount);
  await gateway.requestPayment(payment);
  const intent = server.intentOfPayment(payment.paymentId)!;
  await server.succeed(intent.id);
  return { payment, intent, chargeId: server.intents.get(intent.id)!.latest_charge as string };
}

describe("Stripe payment gateway", () => {
  it("opens one PaymentIntent per payment, with the amount, currency and metadata, and returns its client secret", async () => {
    const payment = newPayment(24000);
    const first = await gateway.requestPayment(payment);
    const again = await gateway.requestPayment(payment);
    const intents = [...server.intents.values()].filter((i) => i.metadata.paymentId === payment.paymentId);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ amount: 24000, currency: "krw", metadata: { orderId: payment.orderId, paymentId: payment.paymentId } });
    expect(first.clientSecret).toBe(intents[0]!.client_secret);
    expect(again.clientSecret).toBe(first.clientSecret);
    const calls = server.requests.filter((r) => r.idempotencyKey === payment.paymentId);
    expect(calls.map((r) => r.replayed)).toEqual([false, true]);
  });

  it("retries 500 and 429 under the same idempotency key and still makes exactly one intent", async () => {
    for (const status of [500, 429] as const) {
      const payment = newPayment();
      server.failNext("/v1/payment_intents", status, 2);
      const { clientSecret } = await gateway.requestPayment(payment);
      const calls = server.requests.filter((r) => r.idempotencyKey === payment.paymentId);
      expect(calls.map((r) => r.status)).toEqual([status, status, 200]);
      expect([...server.intents.values()].filter((i) => i.metadata.paymentId === payment.paymentId)).toHaveLength(1);
      expect(clientSecret).toMatch(/^pi_/);
    }
  });

  it("refunds a charge with its amount and the refund's own key; a repeat is the same refund", async () => {
    const { payment, chargeId } = await paidCharge(5000);
    const input = { paymentId: payment.paymentId, captureId: chargeId, amount: 5000, reason: "cancelled", idempotencyKey: randomUUID() };
    const { refundId } = await gateway.refund(input);
    expect(await gateway.refund(input)).toEqual({ refundId });
    expect(server.refundsOfCharge(chargeId)).toEqual([expect.objectContaining({ id: refundId, amount: 5000, charge: chargeId })]);
    expect(server.charges.get(chargeId)).toMatchObject({ amount_refunded: 5000, refunded: true });
  });

  it("retries a refund answered 429 or 500 twice: one refund in the books", async () => {
    for (const status of [429, 500] as const) {
      const { payment, chargeId } = await paidCharge(700);
      server.failNext("/v1/refunds", status, 2);
      const key = randomUUID();
      const { refundId } = await gateway.refund({ paymentId: payment.paymentId, captureId: chargeId, amount: 700, reason: "x", idempotencyKey: key });
      expect(server.requests.filter((r) => r.idempotencyKey === key).map((r) => r.status)).toEqual([status, status, 200]);
      expect(server.refundsOfCharge(chargeId).map((r) => r.id)).toEqual([refundId]);
    }
  });

  it("turns a refusal into DECLINED and a Stripe that keeps failing into UNAVAILABLE", async () => {
    const { payment, chargeId } = await paidCharge(900);
    const input = { paymentId: payment.paymentId, captureId: chargeId, amount: 900, reason: "x" };
    server.refuseRefunds();
    try {
      const refused = await gateway.refund({ ...input, idempotencyKey: randomUUID() }).catch((e: unknown) => e);
      expect(isPaymentGatewayError(refused) && refused.kind).toBe("DECLINED");
      expect(String((refused as Error).message)).toContain(chargeId);
    } finally {
      server.refuseRefunds(null);
    }
    const tooMuch = await gateway.refund({ ...input, amount: 901, idempotencyKey: randomUUID() }).catch((e: unknown) => e);
    expect(isPaymentGatewayError(tooMuch) && tooMuch.kind).toBe("DECLINED");
    server.failNext("/v1/refunds", 500, 10);
    const down = await gateway.refund({ ...input, idempotencyKey: randomUUID() }).catch((e: unknown) => e);
    server.failNext("/v1/refunds", 500, 0);
    expect(isPaymentGatewayError(down) && down.kind).toBe("UNAVAILABLE");
    expect(server.refundsOfCharge(chargeId)).toEqual([]);
  });

  it("reads verified webhooks: succeeded is PAID with amount_received and the charge, failed is FAILED", async () => {
    const payment = newPayment(3000);
    await gateway.requestPayment(payment);
    const intent = server.intentOfPayment(payment.paymentId)!;
    const { event: failed } = await server.fail(intent.id);
    const rawFailed = JSON.stringify(failed);
    expect(await gateway.readWebhook(rawFailed, await server.signedHeader(rawFailed))).toEqual({
      kind: "PAYMENT",
      result: expect.objectContaining({ eventId: failed!.id, status: "FAILED", paymentId: payment.paymentId, orderId: payment.orderId, failureReason: "Your card was declined." }),
    });
    const { event: paid } = await server.succeed(intent.id);
    const raw = JSON.stringify(paid);
    const reading = await gateway.readWebhook(raw, await server.signedHeader(raw));
    expect(reading).toEqual({
      kind: "PAYMENT",
      result: {
        eventId: paid!.id,
        paymentId: payment.paymentId,
        orderId: payment.orderId,
        status: "PAID",
        amount: 3000,
        pgTransactionId: server.intents.get(intent.id)!.latest_charge,
      },
    });
  });

  it("refuses bad, stale or foreign signatures and ignores other event types and foreign intents", async () => {
    const { intent } = await paidCharge(100);
    const event = server.events.find((e) => e.type === "payment_intent.succeeded" && e.data.object.id === intent.id);
    const raw = JSON.stringify(event);
    expect(await gateway.readWebhook(raw, undefined)).toEqual({ kind: "BAD_SIGNATURE" });
    expect(await gateway.readWebhook(raw, await server.signedHeader(raw, "whsec_other"))).toEqual({ kind: "BAD_SIGNATURE" });
    expect(await gateway.readWebhook(`${raw} `, await server.signedHeader(raw))).toEqual({ kind: "BAD_SIGNATURE" });
    const stale = await server.signedHeader(raw, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 301);
    expect(await gateway.readWebhook(raw, stale)).toEqual({ kind: "BAD_SIGNATURE" });

    const other = JSON.stringify({ ...event, id: "evt_other", type: "charge.refunded" });
    expect(await gateway.readWebhook(other, await server.signedHeader(other))).toMatchObject({ kind: "IGNORED", type: "charge.refunded" });
    const foreign = JSON.stringify({ ...event, data: { object: { ...(event!.data.object as object), metadata: {} } } });
    expect(await gateway.readWebhook(foreign, await server.signedHeader(foreign))).toMatchObject({ kind: "IGNORED", why: expect.stringContaining("metadata") });
  });
});
