import { z } from "@hono/zod-openapi";
import { MAX_PRICE } from "@order-flow/domain";
import { uuid } from "../common-schemas.ts";

export const productParamsSchema = z.object({
  storeId: uuid.openapi({ param: { name: "storeId", in: "path" }, description: "The store's id" }),
  productId: uuid.openapi({ param: { name: "productId", in: "path" }, description: "The product's id" }),
});

export const putProductBodySchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    price: z.number().int().min(0).max(MAX_PRICE),
    onHand: z.number().int().min(0).max(1_000_000_000),
  })
  .openapi("PutProduct");

export const productSchema = z
  .object({
    id: uuid,
    storeId: uuid,
    name: z.string(),
    price: z.number().int(),
    stock: z.object({ onHand: z.number().int(), available: z.number().int(), reserved: z.number().int() }),
  })
  .openapi("Product");
