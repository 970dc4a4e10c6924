import { createHash, randomUUID } from "node:crypto";
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import {
  auditRepository,
  idempotencyRepository,
  InvalidCursor,
  orderRepository,
  type IdempotencyClaim,
  type PrismaClient,
} from "@order-flow/db";
import { withOrder } from "@order-flow/telemetry";
import type { AppEnv } from "../context.ts";
import { ApiProblem, problemBody } from "../problem.ts";
import { HEADERS, jsonResponse, problems, reasonBodySchema } from "../schemas/common.ts";
import {
  auditEntrySchema,
  createOrderBodySchema,
  idempotencyHeaderSchema,
  listOrdersQuerySchema,
  orderIdParamsSchema,
  orderPageSchema,
  orderSchema,
  paymentAcceptedSchema,
  setStatusBodySchema,
  toOrderResponse,
} from "../schemas/order.ts";
import type { OrderCommands, PlacedOrder } from "../services/order-commands.ts";

const json = jsonResponse;
const body = <T extends z.ZodType>(schema: T, required: boolean) => ({
  body: { required, content: { "application/json": { schema } } },
});

/** How long a twin request waits for the first one with its Idempotency-Key. */
const IDEMPOTENCY_WAIT_MS = 5_000;

/**
 * Asks `look` again while the request holding the key is still running; after the wait,
 * 409 IDEMPOTENCY_KEY_IN_USE.
 */
async function untilSettled<C extends IdempotencyClaim>(look: () => Promise<C>): Promise<Exclude<C, { state: "IN_USE" }>> {
  const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
  for (;;) {
    const claim = await look();
    if (claim.state !== "IN_USE") return claim as Exclude<C, { state: "IN_USE" }>;
    if (Date.now() >= deadline) {
      throw new ApiProblem("IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still running");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function orderRoutes(deps: {
  prisma: PrismaClient;
  commands: OrderCommands;
  now?: () => Date;
  /** a claim with no response after this long is taken over by a twin (default: the repository's 30 s) */
  idempotencyAbandonedAfterMs?: number;
  createRoute?: never;
}) {
  const { prisma, commands } = deps;
  const now = deps.now ?? (() => new Date());
  const claimOptions = deps.idempotencyAbandonedAfterMs === undefined ? {} : { abandonedAfterMs: deps.idempotencyAbandonedAfterMs };
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/orders",
      operationId: "createOrder",
      tags: ["orders"],
      summary: "Place an order and hold its stock",
      description:
        "Customers only. 1–50 distinct products, quantity 1–99; prices come from the catalog. Holds every item " +
        "atomically (all or none) until expiresAt. Out of stock: 409 OUT_OF_STOCK naming the product, and the " +
        "order is kept as STOCK_RESERVATION_FAILED.",
      request: { headers: idempotencyHeaderSchema, ...body(createOrderBodySchema, true) },
      responses: {
        201: json(orderSchema, "Order placed, stock held until expiresAt", HEADERS.idempotentReplayed),
        ...problems(400, 401, 403, 409, 413, 422, 429, 503),
        409: {
          ...problems(409)[409],
          headers: { ...HEADERS.requestId, ...HEADERS.idempotentReplayed },
        },
      },
    }),
    async (c) => {
      const actor = c.get("actor");
      if (actor.role !== "customer") throw new ApiProblem("FORBIDDEN", "Only customers place orders");
      const input = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const userId = actor.userId!;
      const answer = (placed: PlacedOrder) =>
        placed.kind === "RESERVED"
          ? { status: 201 as const, body: toOrderResponse(placed.order) }
          : {
              status: 409 as const,
              body: {
                ...problemBody(
                  "OUT_OF_STOCK",
                  `Product ${placed.productId} is out of stock: ${placed.requested} requested, ${placed.available} available`,
                  c.get("requestId"),
                ),
                productId: placed.productId,
                orderId: placed.order.id,
              },
            };
      const respond = (status: number, payload: unknown, replayed: boolean) =>
        // c.body keeps the headers middleware already set (request id, rate limit).
        c.body(JSON.stringify(payload), status as 201, {
          "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
          ...(replayed ? { "Idempotent-Replayed": "true" } : {}),
        }) as never;
      const replay = (claim: Exclude<IdempotencyClaim, { state: "NEW" | "IN_USE" }>) => {
        if (claim.state === "MISMATCH") {
          throw new ApiProblem("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request");
        }
        return respond(claim.status, claim.body, true);
      };

      let held: { key: string; hash: string; owner: string } | undefined;
      if (key !== undefined) {
        const hash = createHash("sha256").update(JSON.stringify(input)).digest("hex");
        const claim = await untilSettled(() => idempotencyRepository.claim(prisma, userId, key, hash, now(), claimOptions));
        if (claim.state !== "NEW") return replay(claim);
        held = { key, hash, owner: claim.owner };
      }
      let placed;
      try {
        // With a key, the order's own statement stores the answer, only while the claim is still ours.
        const orderId = randomUUID();
        const claim = held && { userId, key: held.key, owner: held.owner, answer };
        placed = await withOrder(orderId, () => commands.place(actor, input, claim, orderId));
      } catch (err) {
        // Nothing was kept: let a retry with the same key run again.
        if (held) await idempotencyRepository.release(prisma, userId, held.key, held.owner).catch(() => {});
        throw err;
      }
      if (placed.kind === "CLAIM_LOST") {
        // A twin took the claim over (this request looked dead): answer what it answers.
        const { key: lostKey, hash } = held!;
        return replay(await untilSettled(() => idempotencyRepository.find(prisma, userId, lostKey, hash)));
      }
      const { status, body: payload } = answer(placed);
      return respond(status, payload, false);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orders",
      operationId: "listOrders",
      tags: ["orders"],
      summary: "List the orders the caller may see, newest first",
      description: "Filtered to what the caller may see; the query only narrows it. Page with nextCursor.",
      request: { query: listOrdersQuerySchema },
      responses: { 200: json(orderPageSchema, "A page of orders"), ...problems(400, 401, 429, 503) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      try {
        const page = await orderRepository.list(prisma, {
          viewer: c.get("actor"),
          limit: query.limit,
          ...(query.status ? { status: query.status } : {}),
          ...(query.storeId ? { storeId: query.storeId } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        });
        return c.json({ items: page.items.map(toOrderResponse), nextCursor: page.nextCursor }, 200);
      } catch (err) {
        if (err instanceof InvalidCursor) {
          throw new ApiProblem("VALIDATION_FAILED", "cursor is not valid", {
            errors: [{ path: "cursor", message: "not a cursor this API issued" }],
          });
        }
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}",
      operationId: "getOrder",
      tags: ["orders"],
      summary: "One order",
      description: "For its customer, its store and admins; anyone else gets 404.",
      request: { params: orderIdParamsSchema },
      responses: { 200: json(orderSchema, "The order"), ...problems(400, 401, 404, 429, 503) },
    }),
    async (c) => {
      const order = await commands.visibleOrder(c.req.valid("param").id, c.get("actor"));
      return c.json(toOrderResponse(order), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}/audit",
      operationId: "getOrderAudit",
      tags: ["orders"],
      summary: "The order's audit trail, oldest first",
      description: "Every change of the order and every failed step (JOB_FAILED), with who did it and why.",
      request: { params: orderIdParamsSchema },
      responses: { 200: json(z.array(auditEntrySchema), "Audit entries"), ...problems(400, 401, 404, 429, 503) },
    }),
    async (c) => {
      const order = await commands.visibleOrder(c.req.valid("param").id, c.get("actor"));
      const entries = await auditRepository.listByOrder(prisma, order.id);
      return c.json(
        entries.map((e) => ({ ...e, recordedAt: e.recordedAt.toISOString() })),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/payment",
      operationId: "requestPayment",
      tags: ["payments"],
      summary: "Ask the payment gateway for a payment",
      description:
        "The order's customer, from STOCK_RESERVED or PAYMENT_FAILED. Asking again while PAYMENT_PENDING " +
        "returns the same payment.",
      request: { params: orderIdParamsSchema },
      responses: {
        202: json(paymentAcceptedSchema, "Payment requested"),
        ...problems(400, 401, 403, 404, 409, 413, 429, 503),
      },
    }),
    async (c) => {
      const { order, paymentId, clientSecret } = await commands.requestPayment(c.req.valid("param").id, c.get("actor"));
      return c.json(
        { orderId: order.id, paymentId, amount: order.totalAmount, status: "PAYMENT_PENDING" as const, ...(clientSecret ? { clientSecret } : {}) },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/cancel",
      operationId: "cancelOrder",
      tags: ["orders"],
      summary: "Cancel before preparation; stock goes back at once, money later",
      description: "The customer or an admin. A paid order is refunded asynchronously (refundId appears later).",
      request: { params: orderIdParamsSchema, ...body(reasonBodySchema, false) },
      responses: { 200: json(orderSchema, "Cancelled"), ...problems(400, 401, 403, 404, 409, 413, 429, 503) },
    }),
    async (c) => {
      const order = await commands.cancel(c.req.valid("param").id, c.get("actor"), c.req.valid("json").reason);
      return c.json(toOrderResponse(order), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/refund",
      operationId: "refundOrder",
      tags: ["orders"],
      summary: "Ask for a refund after delivery",
      description:
        "The customer from DELIVERED or COMPLETED; an admin also from REFUND_FAILED. The order reaches " +
        "REFUND_COMPLETED with its refundId later, on its own.",
      request: { params: orderIdParamsSchema, ...body(reasonBodySchema, false) },
      responses: {
        202: json(orderSchema, "Refund requested"),
        ...problems(400, 401, 403, 404, 409, 413, 429, 503),
      },
    }),
    async (c) => {
      const order = await commands.requestRefund(c.req.valid("param").id, c.get("actor"), c.req.valid("json").reason);
      return c.json(toOrderResponse(order), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/status",
      operationId: "setOrderStatus",
      tags: ["orders"],
      summary: "The store's moves (and the customer's COMPLETED)",
      description: "Its store or an admin; COMPLETED also the customer. The move must be allowed from the current status.",
      request: { params: orderIdParamsSchema, ...body(setStatusBodySchema, true) },
      responses: { 200: json(orderSchema, "Updated"), ...problems(400, 401, 403, 404, 409, 413, 429, 503) },
    }),
    async (c) => {
      const { status, reason } = c.req.valid("json");
      const order = await commands.setStatus(c.req.valid("param").id, c.get("actor"), status, reason);
      return c.json(toOrderResponse(order), 200);
    },
  );

  return app;
}
