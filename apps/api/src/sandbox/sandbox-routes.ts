import { randomUUID } from "node:crypto";
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { paymentRepository, sandboxLedgerRepository, type Database } from "@order-flow/db";
import type { Actor } from "@order-flow/domain";
import { signWebhook } from "@order-flow/payments";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";
import { jsonResponse, problems, uuid } from "../common-schemas.ts";
import type { OrderCommands } from "../orders/order-commands.ts";

const ledgerSchema = z
  .object({
    paymentId: uuid,
    orderId: uuid,
    amount: z.number().int(),
    captures: z.array(z.object({ pgTransactionId: z.string(), amount: z.number().int() })),
    refunds: z.array(z.object({ refundId: z.string(), pgTransactionId: z.string(), amount: z.number().int() })),
  })
  .openapi("SandboxLedger");

const paymentParams = z.object({
  paymentId: uuid.openapi({ param: { name: "paymentId", in: "path" }, description: "The payment's id" }),
});

/**
 * The sandbox PG: its "customer paid" button, which records the capture in the sandbox's own
 * ledger and sends the signed webhook a real PG would send, to this API's own webhook
 * endpoint; and the ledger itself, as a PG's dashboard shows it. Served under /sandbox.
 */
export function sandboxRoutes(deps: {
  db: Database;
  commands: OrderCommands;
  secret: string;
  deliver: (rawBody: string, signature: string) => Promise<Response>;
}) {
  const ledger = sandboxLedgerRepository(deps.db);

  /** The payment and its order, for the order's customer or an admin (API.md's order of checks). */
  async function paymentOf(paymentId: string, actor: Actor, doing: string) {
    const payment = await paymentRepository.findById(deps.db, paymentId);
    if (!payment) throw new ApiProblem("NOT_FOUND", `Payment ${paymentId} not found`);
    const order = await deps.commands.visibleOrder(payment.orderId, actor).catch(() => null);
    if (!order) throw new ApiProblem("NOT_FOUND", `Payment ${paymentId} not found`);
    if (actor.role !== "admin" && actor.userId !== order.userId) {
      throw new ApiProblem("FORBIDDEN", `Only the order's customer or an admin ${doing}`);
    }
    return { payment, order };
  }

  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "get",
      path: "/payments/{paymentId}",
      operationId: "getSandboxLedger",
      tags: ["sandbox"],
      summary: "Sandbox PG: the payment's ledger (its captures and refunds)",
      description:
        "The sandbox PG's own books, as a PG's dashboard shows them: each PAID `complete` is one capture; " +
        "every capture not kept for the order has exactly one refund of its own amount, and the kept one " +
        "is refunded only when the order is cancelled, rejected or refunded.",
      request: { params: paymentParams },
      responses: {
        200: jsonResponse(ledgerSchema, "The ledger"),
        ...problems(400, 401, 403, 404, 429, 503),
      },
    }),
    async (c) => {
      const { paymentId } = c.req.valid("param");
      const { payment, order } = await paymentOf(paymentId, c.get("actor"), "sees its payment's ledger");
      const books = await ledger.forPayment(paymentId);
      return c.json(
        {
          paymentId,
          orderId: order.id,
          amount: payment.amount,
          captures: books.captures.map((x) => ({ pgTransactionId: x.pgTransactionId, amount: x.amount })),
          refunds: books.refunds,
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/payments/{paymentId}/complete",
      operationId: "completeSandboxPayment",
      tags: ["sandbox"],
      summary: "Sandbox PG: complete a payment and send its webhook",
      description:
        "The order's customer or an admin; served only with PAYMENT_GATEWAY=sandbox. Sends the signed webhook a " +
        "real PG would send; `amount` plays a short or over-capture.",
      request: {
        params: paymentParams,
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
              pgTransactionId: z.string().openapi({ description: "The capture's id at the sandbox PG (also for FAILED, where nothing was taken)" }),
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
      const { payment, order } = await paymentOf(paymentId, c.get("actor"), "completes its payment");
      const eventId = randomUUID();
      const amount = input.amount ?? payment.amount;
      const pgTransactionId = `sbx_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
      // The PG books the capture before it tells the merchant: a lost webhook leaves money taken.
      if (input.outcome === "PAID") {
        await ledger.recordCapture({ pgTransactionId, paymentId, orderId: order.id, amount, at: new Date() });
      }
      const rawBody = JSON.stringify({
        eventId,
        paymentId,
        orderId: order.id,
        status: input.outcome,
        amount,
        pgTransactionId,
        ...(input.outcome === "FAILED" ? { failureReason: input.failureReason ?? "Card declined (sandbox)" } : {}),
      });
      const signature = signWebhook(rawBody, deps.secret, Math.floor(Date.now() / 1000));
      const res = await deps.deliver(rawBody, signature);
      return c.json({ paymentId, eventId, outcome: input.outcome, pgTransactionId, webhookStatus: res.status }, 202);
    },
  );
  return app;
}
