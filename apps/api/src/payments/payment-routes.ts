import { OpenAPIHono } from "@hono/zod-openapi";
import type { StripePaymentGateway } from "@order-flow/payments";
import type { AppEnv } from "../context.ts";
import type { paymentWebhook } from "./payment-webhook.ts";
import { pgWebhookRoutes } from "./pg-webhook-routes.ts";
import { stripeWebhookRoutes } from "./stripe-webhook-routes.ts";

/**
 * The payments feature, served under /webhooks: every gateway's result comes in here and
 * takes the one acceptance path (payment-webhook.ts). Stripe's endpoint is there only with
 * the Stripe adapter.
 */
export function paymentRoutes(deps: {
  webhookSecret: string;
  webhook: ReturnType<typeof paymentWebhook>;
  stripe?: StripePaymentGateway | undefined;
}) {
  const app = new OpenAPIHono<AppEnv>();
  app.route("/", pgWebhookRoutes({ secret: deps.webhookSecret, webhook: deps.webhook }));
  if (deps.stripe) app.route("/", stripeWebhookRoutes({ stripe: deps.stripe, webhook: deps.webhook }));
  return app;
}
