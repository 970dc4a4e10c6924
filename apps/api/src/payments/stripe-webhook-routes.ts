import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { StripePaymentGateway } from "@order-flow/payments";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";
import { problems } from "../common-schemas.ts";
import { webhookBodySchema, type paymentWebhook } from "./payment-webhook.ts";

/**
 * Stripe's webhook: the SDK verifies Stripe-Signature over the raw body, and a succeeded or
 * failed PaymentIntent is handed, as the PG webhook's body, to the one acceptance path every
 * gateway shares (deadline at acceptance, stray captures refunded, event ids deduplicated).
 * Served under /webhooks.
 */
export function stripeWebhookRoutes(deps: { stripe: StripePaymentGateway; webhook: ReturnType<typeof paymentWebhook> }) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "post",
      path: "/stripe",
      summary: "Payment result from Stripe (Stripe-Signature)",
      description:
        "A Stripe event, verified by Stripe's SDK over the raw body (300 s tolerance). `payment_intent.succeeded` is a PAID " +
        "payment webhook (amount = amount_received, pgTransactionId = the latest charge), `payment_intent.payment_failed` a " +
        "FAILED one; the intent's metadata names the payment and order. Other event types, and intents this system did " +
        "not open, are answered 200 and ignored.",
      request: { headers: z.object({ "stripe-signature": z.string().optional() }) },
      responses: {
        200: {
          description: "Accepted (or a duplicate, unknown or unused event, ignored)",
          content: { "application/json": { schema: z.object({ received: z.boolean(), outcome: z.string() }) } },
        },
        ...problems(401, 413, 503),
      },
    }),
    async (c) => {
      const raw = await c.req.text();
      const log = c.get("log");
      const reading = await deps.stripe.readWebhook(raw, c.req.header("Stripe-Signature"));
      if (reading.kind === "BAD_SIGNATURE") {
        throw new ApiProblem("UNAUTHENTICATED", "The Stripe-Signature header is missing, invalid or stale");
      }
      if (reading.kind === "IGNORED") {
        log.info({ eventId: reading.eventId, type: reading.type, why: reading.why }, "stripe event ignored");
        return c.json({ received: true, outcome: "IGNORED" }, 200);
      }
      const parsed = webhookBodySchema.safeParse(reading.result);
      if (!parsed.success) {
        // Verified, so Stripe sent it: answering 4xx would only make it retry for days.
        log.warn({ eventId: reading.result.eventId, issues: parsed.error.issues }, "stripe event with unusable metadata ignored");
        return c.json({ received: true, outcome: "IGNORED" }, 200);
      }
      const outcome = await deps.webhook.accept(parsed.data, JSON.parse(raw) as unknown);
      if (outcome === "UNKNOWN") log.warn({ body: parsed.data }, "stripe event for an unknown payment or order ignored");
      else log.info({ eventId: parsed.data.eventId, orderId: parsed.data.orderId, outcome }, "stripe payment event accepted");
      return c.json({ received: true, outcome }, 200);
    },
  );
  return app;
}
