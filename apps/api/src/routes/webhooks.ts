import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { verifyWebhookSignature } from "@order-flow/payments";
import type { AppEnv } from "../context.ts";
import { findNul } from "../find-nul.ts";
import { nulProblem } from "../middleware/reject-nul.ts";
import { ApiProblem } from "../problem.ts";
import { problems } from "../schemas/common.ts";
import { webhookBodySchema, type paymentWebhook } from "../services/payment-webhook.ts";

export function webhookRoutes(deps: { secret: string; webhook: ReturnType<typeof paymentWebhook> }) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "post",
      path: "/webhooks/payments",
      summary: "Payment result from the PG (HMAC-signed)",
      description:
        'Header `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Body ' +
        "`{ eventId, paymentId, orderId, status: PAID|FAILED, amount, pgTransactionId, failureReason? }`.",
      request: { headers: z.object({ "x-signature": z.string().optional() }) },
      responses: {
        200: {
          description: "Accepted (or a duplicate / unknown event, ignored)",
          content: { "application/json": { schema: z.object({ received: z.boolean(), outcome: z.string() }) } },
        },
        ...problems(400, 401, 413, 503),
      },
    }),
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
