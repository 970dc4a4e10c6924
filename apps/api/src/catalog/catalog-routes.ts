import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { productRepository, type Database } from "@order-flow/db";
import type { StockReservationService } from "@order-flow/stock";
import type { AppEnv } from "../context.ts";
import type { CatalogCache } from "./catalog-cache.ts";
import { ApiProblem } from "../problem.ts";
import { productParamsSchema, productSchema, putProductBodySchema } from "./catalog-schemas.ts";
import { jsonResponse, problems } from "../common-schemas.ts";

/** The catalog feature, served under /stores: paths here are relative to it. */
export function catalogRoutes(deps: {
  db: Database;
  stock: StockReservationService;
  /** what orders are priced from: a write here drops its entry at once in this process */
  catalog?: Pick<CatalogCache, "forget">;
  /** 503 at once while Redis is down (middleware/require-redis.ts): every catalog route reads stock */
  needsRedis: MiddlewareHandler<AppEnv>;
}) {
  const { db, stock } = deps;
  const app = new OpenAPIHono<AppEnv>();

  async function view(storeId: string, productId: string) {
    const product = await productRepository.findById(db, productId);
    if (!product || product.storeId !== storeId) return null;
    const counters = await stock.getStock(storeId, productId);
    return {
      id: product.id,
      storeId: product.storeId,
      name: product.name,
      price: product.price,
      stock: counters ?? { onHand: product.onHand, available: product.onHand, reserved: 0 },
    };
  }

  app.openapi(
    createRoute({
      method: "put",
      path: "/{storeId}/products/{productId}",
      middleware: [deps.needsRedis] as const,
      operationId: "putProduct",
      tags: ["catalog"],
      summary: "Create or update a product and set its on-hand stock",
      description:
        "That store or an admin. onHand below the units held by live reservations is 409 STOCK_HELD; a product " +
        "of another store is 422 UNKNOWN_PRODUCT.",
      request: {
        params: productParamsSchema,
        body: { required: true, content: { "application/json": { schema: putProductBodySchema } } },
      },
      responses: {
        200: jsonResponse(productSchema, "The product"),
        ...problems(400, 401, 403, 409, 413, 422, 429, 503),
      },
    }),
    async (c) => {
      const { storeId, productId } = c.req.valid("param");
      const input = c.req.valid("json");
      const actor = c.get("actor");
      const mayWrite = actor.role === "admin" || (actor.role === "store" && actor.storeId === storeId);
      if (!mayWrite) throw new ApiProblem("FORBIDDEN", "Only this store or an admin may write its catalog");
      const existing = await productRepository.findById(db, productId);
      if (existing && existing.storeId !== storeId) {
        throw new ApiProblem("UNKNOWN_PRODUCT", `Product ${productId} belongs to another store`);
      }
      // Refuse before writing anything, so a rejected request changes nothing.
      const held = (await stock.getStock(storeId, productId))?.reserved ?? 0;
      if (input.onHand < held) {
        throw new ApiProblem("STOCK_HELD", `onHand ${input.onHand} is below the ${held} units held by live reservations`);
      }
      await productRepository.upsertCatalogEntry(db, { id: productId, storeId, ...input, now: new Date() });
      deps.catalog?.forget([productId]);
      const result = await stock.setOnHand(storeId, productId, input.onHand);
      if (!result.ok) {
        throw new ApiProblem(
          "STOCK_HELD",
          `onHand ${input.onHand} is below the ${result.reserved} units held by live reservations`,
        );
      }
      return c.json((await view(storeId, productId))!, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/{storeId}/products/{productId}",
      middleware: [deps.needsRedis] as const,
      operationId: "getProduct",
      tags: ["catalog"],
      summary: "A product with its stock counters",
      description: "Any role. reserved = units held by live reservations, available = onHand - reserved.",
      request: { params: productParamsSchema },
      responses: {
        200: jsonResponse(productSchema, "The product"),
        ...problems(400, 401, 404, 429, 503),
      },
    }),
    async (c) => {
      const { storeId, productId } = c.req.valid("param");
      const product = await view(storeId, productId);
      if (!product) throw new ApiProblem("NOT_FOUND", `Product ${productId} not found in store ${storeId}`);
      return c.json(product, 200);
    },
  );

  return app;
}
