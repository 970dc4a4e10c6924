// PAYMENT_GATEWAY=stripe end to end, with no internet: the API (served over HTTP) and a whole
// worker talk to a local Stripe-compatible server through Stripe's SDK; the server posts its
// signed events to POST /webhooks/stripe as Stripe would.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { StripePaymentGateway } from "@order-flow/payments";
import { LocalStripeServer } from "@order-flow/payments/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";

const STRIPE_WEBHOOK_SECRET = "whsec_flows_test";

type Fixture = {
  h: Harness;
  stripe: LocalStripeServer;
  gateway: StripePaymentGateway;
  worker: Awaited<ReturnType<Harness["startWorker"]>> | null;
  close: () => Promise<void>;
};

async function stripeFixture(holdSeconds = 600): Promise<Fixture> {
  const stripe = await LocalStripeServer.start({ webhookSecret: STRIPE_WEBHOOK_SECRET });
  const gateway = new StripePaymentGateway({
    secretKey: "sk_test_local",
    webhookSecret: STRIPE_WEBHOOK_SECRET,
    apiBase: stripe.url,
    rateLimitBackoffMs: 50,
  });
  const h = await createHarness({ stripe: gateway, holdSeconds });
  const worker = await h.startWorker({ gateway });
  const http = await new Promise<ServerType>((resolve) => {
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(server));
  });
  stripe.webhookTarget = `http://127.0.0.1:${(http.address() as AddressInfo).port}/webhooks/stripe`;
  return {
    h,
    stripe,
    gateway,
    worker,
    close: async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await stripe.close();
      await h.close();
    },
  };
}

let f: Fixture;
beforeAll(async () => {
  f = await stripeFixture();
});
afterAll(async () => f.close());

async function placed(price = 5000, quantity = 2) {
  const productId = await f.h.product({ onHand: 10, price });
  const res = await f.h.placeOrder([{ productId, quantity }]);
  expect(res.status).toBe(201);
  return { productId, order: res.body };
}

async function askToPay(h: Harness, orderId: string) {
  const res = await h.call("POST", `/orders/${orderId}/payment`, { token: h.tokens.customer });
  expect(res.status).toBe(202);
  return res.body as { orderId: string; paymentId: string; amount: number; status: string; clientSecret: string };
}

/** Stripe.js would confirm with the client secret: the intent's id is its prefix. */
const intentIdOf = (clientSecret: string) => clientSecret.split("_secret_")[0]!;

async function auditTypes(h: Harness, orderId: string) {
  const res = await h.call("GET", `/orders/${orderId}/audit`, { token: h.tokens.admin });
  return res.body.map((e: { eventType: string }) => e.eventType) as string[];
}

async function paidOrder() {
  const { order, productId } = await placed();
  const payment = await askToPay(f.h, order.id);
  const { webhookStatus } = await f.stripe.succeed(intentIdOf(payment.clientSecret));
  expect(webhookStatus).toBe(200);
  await f.h.waitForOrder(order.id, (o) => o.status === "PREPARING");
  const charge = f.stripe.intents.get(intentIdOf(payment.clientSecret))!.latest_charge as string;
  return { order, productId, payment, charge };
}

async function toDelivered(orderId: string) {
  for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
    expect((await f.h.call("POST", `/orders/${orderId}/status`, { token: f.h.tokens.store, body: { status } })).status).toBe(200);
  }
}

describe("Stripe gateway flows", () => {
  it("pay → 202 with the intent's client secret → succeeded → PREPARING; one intent however often asked", async () => {
    const { order, productId } = await placed(6000, 2);
    const payment = await askToPay(f.h, order.id);
    expect(payment).toMatchObject({ orderId: order.id, amount: 12000, status: "PAYMENT_PENDING" });
    const intent = f.stripe.intents.get(intentIdOf(payment.clientSecret))!;
    expect(intent).toMatchObject({ amount: 12000, currency: "krw", client_secret: payment.clientSecret, metadata: { orderId: order.id, paymentId: payment.paymentId } });
    const again = await askToPay(f.h, order.id);
    expect(again).toEqual(payment);

    await f.stripe.succeed(intent.id);
    const done = await f.h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect(done.paymentId).toBe(payment.paymentId);
    expect(await f.h.stockOf(productId)).toEqual({ onHand: 8, available: 8, reserved: 0 });
    // The API's two asks and the worker's handler all landed on the one intent.
    expect([...f.stripe.intents.values()].filter((i) => i.metadata.orderId === order.id)).toHaveLength(1);
    expect(f.stripe.requests.filter((r) => r.idempotencyKey === payment.paymentId).length).toBeGreaterThanOrEqual(2);
    const row = await f.h.prisma.payment.findUnique({ where: { id: payment.paymentId } });
    expect(row).toMatchObject({ status: "PAID", pgTransactionId: intent.latest_charge });
  });

  it("a failed intent → PAYMENT_FAILED → pay again (a new intent) → PREPARING", async () => {
    const { order } = await placed();
    const first = await askToPay(f.h, order.id);
    expect((await f.stripe.fail(intentIdOf(first.clientSecret))).webhookStatus).toBe(200);
    const failed = await f.h.waitForOrder(order.id, (o) => o.status === "PAYMENT_FAILED");
    expect(failed.failureReason).toBe("Your card was declined.");
    const second = await askToPay(f.h, order.id);
    expect(second.paymentId).not.toBe(first.paymentId);
    expect(intentIdOf(second.clientSecret)).not.toBe(intentIdOf(first.clientSecret));
    await f.stripe.succeed(intentIdOf(second.clientSecret));
    await f.h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect([...f.stripe.intents.values()].filter((i) => i.metadata.orderId === order.id)).toHaveLength(2);
  });

  it("cancel after payment refunds the charge's amount with Stripe's refund id", async () => {
    // No worker for a moment, so the paid order waits in PAYMENT_COMPLETED for the cancel; the
    // API alone opened the intent (the client secret is in its answer).
    await f.worker?.close();
    f.worker = null;
    const { order } = await placed();
    const payment = await askToPay(f.h, order.id);
    expect((await f.stripe.succeed(intentIdOf(payment.clientSecret))).webhookStatus).toBe(200);
    expect((await f.h.call("GET", `/orders/${order.id}`, { token: f.h.tokens.admin })).body.status).toBe("PAYMENT_COMPLETED");
    expect((await f.h.call("POST", `/orders/${order.id}/cancel`, { token: f.h.tokens.customer })).status).toBe(200);
    f.worker = await f.h.startWorker({ gateway: f.gateway });
    const cancelled = await f.h.waitForOrder(order.id, (o) => o.refundId !== null);
    expect(cancelled.status).toBe("ORDER_CANCELLED");
    const charge = f.stripe.intents.get(intentIdOf(payment.clientSecret))!.latest_charge as string;
    expect(f.stripe.refundsOfCharge(charge)).toEqual([expect.objectContaining({ id: cancelled.refundId, amount: 10000 })]);
    expect([...f.stripe.intents.values()].filter((i) => i.metadata.orderId === order.id)).toHaveLength(1);
  });

  it("delivered → customer refund → REFUND_COMPLETED with Stripe's refund id", async () => {
    const { order, charge } = await paidOrder();
    await toDelivered(order.id);
    expect((await f.h.call("POST", `/orders/${order.id}/refund`, { token: f.h.tokens.customer, body: { reason: "broken" } })).status).toBe(202);
    const done = await f.h.waitForOrder(order.id, (o) => o.status === "REFUND_COMPLETED");
    expect(done.refundId).toMatch(/^re_/);
    expect(f.stripe.refundsOfCharge(charge)).toEqual([expect.objectContaining({ id: done.refundId, amount: 10000, charge })]);
  });

  it("Stripe refusing the refund → REFUND_FAILED, naming why; nothing refunded", async () => {
    const { order, charge } = await paidOrder();
    await toDelivered(order.id);
    f.stripe.refuseRefunds();
    try {
      expect((await f.h.call("POST", `/orders/${order.id}/refund`, { token: f.h.tokens.customer })).status).toBe(202);
      const failed = await f.h.waitForOrder(order.id, (o) => o.status === "REFUND_FAILED");
      expect(failed.failureReason).toContain("Insufficient balance");
      expect(failed.refundId).toBeNull();
    } finally {
      f.stripe.refuseRefunds(null);
    }
    expect(f.stripe.refundsOfCharge(charge)).toEqual([]);
  });

  it("Stripe answering 500 or 429 twice, then succeeding: exactly one intent and one refund", async () => {
    for (const status of [500, 429] as const) {
      const { order } = await placed();
      f.stripe.failNext("/v1/payment_intents", status, 2);
      const payment = await askToPay(f.h, order.id);
      const calls = f.stripe.requests.filter((r) => r.idempotencyKey === payment.paymentId);
      expect(calls.filter((r) => r.status === status)).toHaveLength(2);
      await f.stripe.succeed(intentIdOf(payment.clientSecret));
      await f.h.waitForOrder(order.id, (o) => o.status === "PREPARING");
      const charge = f.stripe.intents.get(intentIdOf(payment.clientSecret))!.latest_charge as string;

      await toDelivered(order.id);
      f.stripe.failNext("/v1/refunds", status, 2);
      expect((await f.h.call("POST", `/orders/${order.id}/refund`, { token: f.h.tokens.customer })).status).toBe(202);
      const refunded = await f.h.waitForOrder(order.id, (o) => o.status === "REFUND_COMPLETED");
      expect([...f.stripe.intents.values()].filter((i) => i.metadata.orderId === order.id)).toHaveLength(1);
      expect(f.stripe.refundsOfCharge(charge)).toEqual([expect.objectContaining({ id: refunded.refundId, amount: 10000 })]);
      const refundCalls = f.stripe.requests.filter((r) => r.path === "/v1/refunds" && r.status === status);
      expect(refundCalls.length).toBeGreaterThanOrEqual(2);
    }
  });

  it("a replayed event changes nothing; unknown intents, foreign intents and other types are 200 and ignored", async () => {
    const { order, payment } = await paidOrder();
    const event = f.stripe.events.find((e) => e.type === "payment_intent.succeeded" && e.data.object.id === intentIdOf(payment.clientSecret))!;
    const before = await auditTypes(f.h, order.id);
    expect(await f.stripe.resend(event.id)).toBe(200);
    const replay = await post(JSON.stringify(event));
    expect(replay.body).toEqual({ received: true, outcome: "DUPLICATE" });
    expect(await auditTypes(f.h, order.id)).toEqual(before);

    const intent = event.data.object;
    const unknown = { ...event, id: `evt_${randomUUID()}`, data: { object: { ...intent, metadata: { orderId: randomUUID(), paymentId: randomUUID() } } } };
    expect((await post(JSON.stringify(unknown))).body).toEqual({ received: true, outcome: "UNKNOWN" });
    const foreign = { ...event, id: `evt_${randomUUID()}`, data: { object: { ...intent, metadata: {} } } };
    expect((await post(JSON.stringify(foreign))).body).toEqual({ received: true, outcome: "IGNORED" });
    const other = { ...event, id: `evt_${randomUUID()}`, type: "charge.succeeded" };
    expect((await post(JSON.stringify(other))).body).toEqual({ received: true, outcome: "IGNORED" });
    expect((await f.h.call("GET", `/orders/${order.id}`, { token: f.h.tokens.admin })).body.status).toBe("PREPARING");
  });

  it("a bad signature is 401 UNAUTHENTICATED and changes nothing", async () => {
    const { order } = await placed();
    const payment = await askToPay(f.h, order.id);
    const intentId = intentIdOf(payment.clientSecret);
    // A forged success: the intent as it would look paid, signed with the wrong secret.
    const forged = JSON.stringify({
      id: `evt_${randomUUID()}`,
      object: "event",
      type: "payment_intent.succeeded",
      created: Math.floor(Date.now() / 1000),
      data: { object: { ...f.stripe.intents.get(intentId)!, status: "succeeded", amount_received: 10000, latest_charge: "ch_forged" } },
    });
    for (const signature of [await f.stripe.signedHeader(forged, "whsec_wrong"), "t=1,v1=00", null]) {
      const res = await post(forged, signature);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("UNAUTHENTICATED");
    }
    const stale = await f.stripe.signedHeader(forged, STRIPE_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 400);
    expect((await post(forged, stale)).status).toBe(401);
    expect((await f.h.call("GET", `/orders/${order.id}`, { token: f.h.tokens.admin })).body.status).toBe("PAYMENT_PENDING");
    expect(await f.h.prisma.payment.findUnique({ where: { id: payment.paymentId } })).toMatchObject({ status: "REQUESTED", pgTransactionId: null });
  });

  it("serves no sandbox routes and documents POST /webhooks/stripe", async () => {
    const { order } = await placed();
    const payment = await askToPay(f.h, order.id);
    const sandbox = await f.h.call("POST", `/sandbox/payments/${payment.paymentId}/complete`, { token: f.h.tokens.customer, body: { outcome: "PAID" } });
    expect(sandbox.status).toBe(404);
    const doc = (await f.h.call("GET", "/openapi.json")).body;
    expect(doc.paths["/webhooks/stripe"].post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: "stripe-signature" })]));
    expect(doc.components.schemas.PaymentRequested.properties.clientSecret).toBeDefined();
  });
});

describe("Stripe: success after the deadline", () => {
  let late: Fixture;
  beforeAll(async () => {
    late = await stripeFixture(2);
  });
  afterAll(async () => late.close());

  it("is refunded with the captured amount and the order stays PAYMENT_TIMEOUT", async () => {
    const productId = await late.h.product({ onHand: 5, price: 7000 });
    const placedRes = await late.h.placeOrder([{ productId, quantity: 1 }]);
    const order = placedRes.body;
    const payment = await askToPay(late.h, order.id);
    await late.h.waitForOrder(order.id, (o) => o.status === "PAYMENT_TIMEOUT");
    const intentId = intentIdOf(payment.clientSecret);
    expect((await late.stripe.succeed(intentId)).webhookStatus).toBe(200);
    const charge = late.stripe.intents.get(intentId)!.latest_charge as string;
    const refunds = await eventually(() => late.stripe.refundsOfCharge(charge), (list) => list.length > 0);
    expect(refunds).toEqual([expect.objectContaining({ amount: 7000, charge })]);
    const types = await eventually(() => auditTypes(late.h, order.id), (list) => list.includes("LATE_PAYMENT_REFUNDED"));
    expect(types.filter((t) => t === "LATE_PAYMENT_REFUNDED")).toHaveLength(1);
    expect((await late.h.call("GET", `/orders/${order.id}`, { token: late.h.tokens.admin })).body.status).toBe("PAYMENT_TIMEOUT");
    expect(await late.h.stockOf(productId)).toEqual({ onHand: 5, available: 5, reserved: 0 });
  });
});

/** Posts an event as Stripe would: signed by the SDK's test helper unless a signature (or none) is given. */
async function post(rawBody: string, signature: string | null = "sign") {
  const sig = signature === "sign" ? await f.stripe.signedHeader(rawBody) : signature;
  return f.h.call("POST", "/webhooks/stripe", { body: rawBody, headers: sig === null ? {} : { "Stripe-Signature": sig } });
}

async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}
