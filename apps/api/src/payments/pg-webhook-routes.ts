import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { verifyWebhookSignature } from "@order-flow/payments";
import type { AppEnv } from "../context.ts";
import { findNul } from "../find-nul.ts";
import { nulProblem } from "../middleware/reject-nul.ts";
import { ApiProblem } from "../problem.ts";
import { jsonResponse, problems } from "../common-schemas.ts";
import { webhookBodySchema, type paymentWebhook } from "./payment-webhook.ts";

/** The PG's signed webhook, served under /webhooks. */
export function pgWebhookRoutes(deps: { secret: string; webhook: ReturnType<typeof paymentWebhook> }) {
  const app = new OpenAPIHono<AppEnv>();
  // Documented, not validated by the generated middleware: the signature is checked over the raw
  // body first (401 before any 400), so the handler parses the body itself.
  app.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/payments",
      operationId: "receivePaymentWebhook",
      tags: ["payments"],
      summary: "Payment result from the PG (HMAC-signed)",
      description:
        "Sent by the payment gateway. A repeated eventId, or an unknown payment or order, is 200 and changes " +
        "nothing. A PAID capture the order cannot keep (wrong amount, too late, not the current payment) is " +
        "200 and refunded automatically.",
      security: [],
      request: {
        headers: z.object({
          "X-Signature": z.string().openapi({
            description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with PAYMENT_WEBHOOK_SECRET>; ' +
              "more than 300 s from now is refused",
            example: "t=1764547200,v1=5d41402abc4b2a76b9719d911017c592ae0b1e9a4f1d6f1e0c2b7b3c9e6f7a8b",
          }),
        }),
        body: { required: true, content: { "application/json": { schema: webhookBodySchema.openapi("PaymentWebhook") } } },
      },
      responses: {
        200: jsonResponse(
          z
            .object({
              received: z.boolean(),
              outcome: z.string().openapi({ description: "What the event did (e.g. PAYMENT_COMPLETED, DUPLICATE, UNKNOWN)" }),
            })
            .openapi("WebhookReceived"),
          "Accepted (or a duplicate / unknown event, ignored)",
        ),
        ...problems(400, 401, 413, 503),
      },
    }),
  );
  app.post(
    "/payments",
    async (c) => {
      const raw = await c.req.text();
      const signature = c.req.header("X-Signature") ?? "";
      if (!verifyWebhookSignature(raw, signature, deps.secret, Math.floor(Date.now() / 1000))) {
        throw new ApiProblem("UNAUTHENTICATED", "The webhook signature is missing, invalid or stale");
      }
      let parsedJson: unknown;
      try {
        parsedJson = JSON.parse(raw);
      } catch {
        throw new ApiProblem("VALIDATION_FAILED", "Malformed JSON in request body");
      }
      // Anywhere in the body, even an unknown field: the raw payload is kept as jsonb.
      const nulAt = findNul(parsedJson);
      if (nulAt !== null) throw nulProblem(nulAt);
      const parsed = webhookBodySchema.safeParse(parsedJson);
      if (!parsed.success) {
        throw new ApiProblem("VALIDATION_FAILED", "The webhook body is not valid", {
          errors: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        });
      }
      const outcome = await deps.webhook.accept(parsed.data, parsedJson);
      const log = c.get("log");
      if (outcome === "UNKNOWN") log.warn({ body: parsed.data }, "webhook for an unknown payment or order ignored");
      else log.info({ eventId: parsed.data.eventId, outcome }, "payment webhook accepted");
      return c.json({ received: true, outcome }, 200);
    },
  );
  return app;
}
