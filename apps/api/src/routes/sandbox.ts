import { randomUUID } from "node:crypto";
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { paymentRepository, type PrismaClient } from "@order-flow/db";
import { signWebhook } from "@order-flow/payments";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";
import { jsonResponse, problems, uuid } from "../schemas/common.ts";
import type { OrderCommands } from "../services/order-commands.ts";

/**
 * The sandbox PG's "customer paid" button: it sends the signed webhook a real PG would
 * send, to this API's own webhook endpoint.
 */
export function sandboxRoutes(deps: {
  prisma: PrismaClient;
  commands: OrderCommands;
  secret: string;
  deliver: (rawBody: string, signature: string) => Promise<Response>;
}) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "post",
      path: "/sandbox/payments/{paymentId}/complete",
      operationId: "completeSandboxPayment",
      tags: ["sandbox"],
      summary: "Sandbox PG: complete a payment and send its webhook",
      description:
        "The order's customer or an admin; served only with PAYMENT_GATEWAY=sandbox. Sends the signed webhook a " +
        "real PG would send; `amount` plays a short or over-capture.",
      request: {
        params: z.object({
          paymentId: uuid.openapi({ param: { name: "paymentId", in: "path" }, description: "The payment's id" }),
        }),
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z.strictObject({
                outcome: z.enum(["PAID", "FAILED"]),
                amount: z.number().int().min(0).optional(),
                failureReason: z.string().max(500).optional(),
              }),
            },
          },
        },
      },
      responses: {
        202: jsonResponse(
          z
            .object({
              paymentId: uuid,
              eventId: z.string(),
              outcome: z.enum(["PAID", "FAILED"]),
              webhookStatus: z.number().int().openapi({ description: "What the webhook endpoint answered" }),
            })
            .openapi("SandboxPaymentCompleted"),
          "The webhook was sent",
        ),
        ...problems(400, 401, 403, 404, 413, 429, 503),
      },
    }),
    async (c) => {
      const { paymentId } = c.req.valid("param");
      const input = c.req.valid("json");
      const actor = c.get("actor");
      const payment = await paymentRepository.findById(deps.prisma, paymentId);
      if (!payment) throw new ApiProblem("NOT_FOUND", `Payment ${paymentId} not found`);
      const order = await deps.commands.visibleOrder(payment.orderId, actor).catch(() => null);
      if (!order) throw new ApiProblem("NOT_FOUND", `Payment ${paymentId} not found`);
      if (actor.role !== "admin" && actor.userId !== order.userId) {
        throw new ApiProblem("FORBIDDEN", "Only the order's customer or an admin completes its payment");
      }
      const eventId = randomUUID();
      const rawBody = JSON.stringify({
        eventId,
        paymentId,
        orderId: order.id,
        status: input.outcome,
        amount: input.amount ?? payment.amount,
        pgTransactionId: `sbx_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
        ...(input.outcome === "FAILED" ? { failureReason: input.failureReason ?? "Card declined (sandbox)" } : {}),
      });
      const signature = signWebhook(rawBody, deps.secret, Math.floor(Date.now() / 1000));
      const res = await deps.deliver(rawBody, signature);
      return c.json({ paymentId, eventId, outcome: input.outcome, webhookStatus: res.status }, 202);
    },
  );
  return app;
}
