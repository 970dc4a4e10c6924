import { randomUUID } from "node:crypto";
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { auditRepository, InvalidCursor, orderRepository, type Database } from "@order-flow/db";
import { withOrder } from "@order-flow/telemetry";
import type { AppEnv } from "../context.ts";
import { ApiProblem, problemBody } from "../problem.ts";
import { HEADERS, jsonResponse, problems, reasonBodySchema } from "../common-schemas.ts";
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
} from "./order-schemas.ts";
import type { OrderCommands, PlacedOrder } from "./order-commands.ts";

const json = jsonResponse;
const body = <T extends z.ZodType>(schema: T, required: boolean) => ({
  body: { required, content: { "application/json": { schema } } },
});

/** The orders feature, served under /orders: paths here are relative to it. */
export function orderRoutes(deps: {
  db: Database;
  commands: OrderCommands;
  /** the Idempotency-Key protocol (middleware/idempotency.ts), for POST /orders */
  idempotency: MiddlewareHandler<AppEnv>;
  /** 503 at once while Redis is down (middleware/require-redis.ts), for the routes that touch stock */
  needsRedis: MiddlewareHandler<AppEnv>;
  createRoute?: never;
}) {
  const { db, commands, needsRedis } = deps;
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createOrder",
      tags: ["orders"],
      summary: "Place an order and hold its stock",
      description:
        "Customers only. 1–50 distinct products, quantity 1–99; prices come from the catalog. Holds every item " +
        "atomically (all or none) until expiresAt. Out of stock: 409 OUT_OF_STOCK naming the product, and the " +
        "order is kept as STOCK_RESERVATION_FAILED.",
      middleware: [needsRedis, deps.idempotency] as const,
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
      // API.md's order: the key (422/409) after shape and role, before the catalog.
      const idempotency = c.get("idempotency");
      const started = await idempotency.start();
      if (started.kind === "REPLAY") return started.response as never;
      // With a key, the order's own statement stores the answer; it makes the order only if no twin stored one first.
      const orderId = randomUUID();
      const claim = started.kind === "CLAIMED" ? { ...started.claim, answer } : undefined;
      const placed = await withOrder(orderId, () => commands.place(actor, input, claim, orderId));
      // A twin stored its answer first (its order is the only one; this request's hold went back): answer the same.
      if (placed.kind === "CLAIM_LOST") return (await idempotency.replayStored()) as never;
      if (claim) idempotency.stored();
      const { status, body: payload } = answer(placed);
      // c.body keeps the headers middleware already set (request id, rate limit).
      return c.body(JSON.stringify(payload), status as 201, {
        "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/",
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
        const page = await orderRepository.list(db, {
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
      path: "/{id}",
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
      path: "/{id}/audit",
      operationId: "getOrderAudit",
      tags: ["orders"],
      summary: "The order's audit trail, oldest first",
      description: "Every change of the order and every failed step (JOB_FAILED), with who did it and why.",
      request: { params: orderIdParamsSchema },
      responses: { 200: json(z.array(auditEntrySchema), "Audit entries"), ...problems(400, 401, 404, 429, 503) },
    }),
    async (c) => {
      const order = await commands.visibleOrder(c.req.valid("param").id, c.get("actor"));
      const entries = await auditRepository.listByOrder(db, order.id);
      return c.json(
        entries.map((e) => ({ ...e, recordedAt: e.recordedAt.toISOString() })),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/{id}/payment",
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
      path: "/{id}/cancel",
      operationId: "cancelOrder",
      middleware: [needsRedis] as const,
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
      path: "/{id}/refund",
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
      path: "/{id}/status",
      operationId: "setOrderStatus",
      middleware: [needsRedis] as const,
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
