import Stripe from "stripe";
import { PaymentGatewayError, type PaymentGateway } from "./payment-gateway.ts";

export type StripePaymentGatewayOptions = {
  /** STRIPE_SECRET_KEY */
  secretKey: string;
  /** STRIPE_WEBHOOK_SECRET: the endpoint's signing secret (whsec_…) */
  webhookSecret: string;
  /** STRIPE_API_BASE: a Stripe-compatible server (tests); Stripe's own API when unset */
  apiBase?: string | undefined;
  /** PAYMENT_CURRENCY; krw is zero-decimal, so order amounts pass through unchanged */
  currency?: string;
  /** retries of a 429, a 5xx or a lost connection, each under the same idempotency key (default 3) */
  maxRetries?: number;
  /** first wait before retrying a 429, doubled on each retry (default 500 ms) */
  rateLimitBackoffMs?: number;
  /** per request (default 20 s) */
  timeoutMs?: number;
};

/** A verified Stripe event, as the payment webhook's body (API.md "Payment webhook"). */
export type StripePaymentResult = {
  eventId: string;
  paymentId: string;
  orderId: string;
  status: "PAID" | "FAILED";
  amount: number;
  pgTransactionId: string;
  failureReason?: string;
};

export type StripeWebhookReading =
  | { kind: "BAD_SIGNATURE" }
  | { kind: "PAYMENT"; result: StripePaymentResult }
  /** a verified event this system has nothing to do with (another type, or an intent it did not open) */
  | { kind: "IGNORED"; eventId: string; type: string; why: string };

/** Stripe's own tolerance for a signature's timestamp, as API.md states it. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Stripe adapter of the PaymentGateway port, on Stripe's official SDK.
 *
 * - A payment is one PaymentIntent; its idempotency key is the paymentId, so a repeated
 *   request (the API answering the customer, the worker's handler, a retry) returns the same
 *   intent and never opens a second one.
 * - A refund gives back one charge (the capture) with an idempotency key per refund.
 * - Stripe's 5xx, 409 and lost connections are retried by the SDK (maxNetworkRetries keeps the
 *   request's Idempotency-Key); the SDK does not retry a 429, so this adapter does, with
 *   exponential backoff and the same key. Anything still failing is UNAVAILABLE (the job retries
 *   later); any other 4xx is Stripe refusing: DECLINED.
 */
export class StripePaymentGateway implements PaymentGateway {
  readonly #stripe: Stripe;
  readonly #webhookSecret: string;
  readonly #currency: string;
  readonly #maxRetries: number;
  readonly #rateLimitBackoffMs: number;

  constructor(options: StripePaymentGatewayOptions) {
    if (!options.secretKey) throw new RangeError("the Stripe gateway needs a secret key");
    if (!options.webhookSecret) throw new RangeError("the Stripe gateway needs a webhook signing secret");
    this.#webhookSecret = options.webhookSecret;
    this.#currency = (options.currency ?? "krw").toLowerCase();
    this.#maxRetries = options.maxRetries ?? 3;
    this.#rateLimitBackoffMs = options.rateLimitBackoffMs ?? 500;
    const base = options.apiBase ? new URL(options.apiBase) : null;
    this.#stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: this.#maxRetries,
      timeout: options.timeoutMs ?? 20_000,
      telemetry: false,
      appInfo: { name: "order-flow" },
      ...(base
        ? {
            host: base.hostname,
            port: Number(base.port || (base.protocol === "http:" ? 80 : 443)),
            protocol: base.protocol === "http:" ? ("http" as const) : ("https" as const),
          }
        : {}),
    });
  }

  async requestPayment(input: { paymentId: string; orderId: string; amount: number }): Promise<{ accepted: true; clientSecret: string }> {
    if (!Number.isSafeInteger(input.amount) || input.amount < 0) {
      throw new PaymentGatewayError("DECLINED", `invalid amount ${input.amount} for payment ${input.paymentId} of order ${input.orderId}`);
    }
    const intent = await this.#call(`payment ${input.paymentId} of order ${input.orderId}`, () =>
      this.#stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: this.#currency,
          metadata: { orderId: input.orderId, paymentId: input.paymentId },
          automatic_payment_methods: { enabled: true },
        },
        { idempotencyKey: input.paymentId },
      ),
    );
    if (!intent.client_secret) {
      throw new PaymentGatewayError("UNAVAILABLE", `Stripe returned intent ${intent.id} without a client secret (payment ${input.paymentId})`);
    }
    return { accepted: true, clientSecret: intent.client_secret };
  }

  async refund(input: Parameters<PaymentGateway["refund"]>[0]): Promise<{ refundId: string }> {
    const refund = await this.#call(`refund of charge ${input.captureId} (payment ${input.paymentId})`, () =>
      this.#stripe.refunds.create(
        {
          charge: input.captureId,
          amount: input.amount,
          // Stripe's own `reason` is an enum; the system's reason travels as metadata (500 chars max).
          metadata: { paymentId: input.paymentId, reason: input.reason.slice(0, 500) },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    if (refund.status === "failed" || refund.status === "canceled") {
      throw new PaymentGatewayError("DECLINED", `Stripe ${refund.status} refund ${refund.id} of charge ${input.captureId} (payment ${input.paymentId})`);
    }
    return { refundId: refund.id };
  }

  /**
   * Verifies a webhook delivery (Stripe-Signature over the raw body, 300 s tolerance) and reads
   * it: a succeeded or failed PaymentIntent opened by this system becomes the payment webhook's
   * body; everything else verified is IGNORED.
   */
  async readWebhook(rawBody: string, signature: string | undefined): Promise<StripeWebhookReading> {
    let event: Stripe.Event;
    try {
      event = await this.#stripe.webhooks.constructEventAsync(rawBody, signature ?? "", this.#webhookSecret, STRIPE_SIGNATURE_TOLERANCE_SECONDS);
    } catch {
      return { kind: "BAD_SIGNATURE" };
    }
    if (event.type !== "payment_intent.succeeded" && event.type !== "payment_intent.payment_failed") {
      return { kind: "IGNORED", eventId: event.id, type: event.type, why: "event type not used" };
    }
    const intent = event.data.object;
    const { paymentId, orderId } = intent.metadata ?? {};
    if (!paymentId || !orderId) {
      return { kind: "IGNORED", eventId: event.id, type: event.type, why: `intent ${intent.id} carries no paymentId/orderId metadata` };
    }
    const charge = typeof intent.latest_charge === "string" ? intent.latest_charge : intent.latest_charge?.id;
    const succeeded = event.type === "payment_intent.succeeded";
    return {
      kind: "PAYMENT",
      result: {
        eventId: event.id,
        paymentId,
        orderId,
        status: succeeded ? "PAID" : "FAILED",
        amount: succeeded ? intent.amount_received : intent.amount,
        // A failed attempt may have no charge; the intent then names the attempt.
        pgTransactionId: charge ?? intent.id,
        ...(succeeded ? {} : { failureReason: intent.last_payment_error?.message ?? "Payment failed at Stripe" }),
      },
    };
  }

  async #call<T>(what: string, request: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeError)) throw error;
        const status = error.statusCode ?? 0;
        if (error instanceof Stripe.errors.StripeRateLimitError && attempt < this.#maxRetries) {
          const backoff = this.#rateLimitBackoffMs * 2 ** attempt;
          await sleep(backoff / 2 + Math.random() * (backoff / 2));
          continue;
        }
        const transient =
          error instanceof Stripe.errors.StripeRateLimitError || error instanceof Stripe.errors.StripeConnectionError || status >= 500 || status === 409;
        const detail = `Stripe ${transient ? "unavailable" : "refused"} the ${what}: ${status || error.type} ${error.code ?? ""} ${error.message}`;
        throw new PaymentGatewayError(transient ? "UNAVAILABLE" : "DECLINED", detail.replace(/\s+/g, " ").trim());
      }
    }
  }
}
