// `pnpm stripe:local`: the local Stripe-compatible server on its own, for a deployment run with
// PAYMENT_GATEWAY=stripe STRIPE_API_BASE=http://127.0.0.1:12111 and `pnpm loadgen --stripe …`.
// STRIPE_WEBHOOK_SECRET signs its events; STRIPE_WEBHOOK_URL is where they go.
import { LocalStripeServer } from "./local-stripe-server.ts";

const secret = process.env.STRIPE_WEBHOOK_SECRET;
if (!secret) {
  console.error("STRIPE_WEBHOOK_SECRET is required (the API's value)");
  process.exit(2);
}
const server = await LocalStripeServer.start({
  webhookSecret: secret,
  webhookTarget: process.env.STRIPE_WEBHOOK_URL ?? "http://127.0.0.1:3000/webhooks/stripe",
  port: Number(process.env.STRIPE_LOCAL_PORT ?? 12111),
});
console.log(`local Stripe-compatible server on ${server.url}; events to ${String(server.webhookTarget)}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
