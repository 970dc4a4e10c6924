import { z } from "zod";

export const MAX_ORDER_ITEMS = 50;
export const MIN_ITEM_QUANTITY = 1;
export const MAX_ITEM_QUANTITY = 99;

export const orderItemSchema = z.object({
  productId: z.string().min(1),
  productName: z.string(),
  /** integer minor units ≥ 0 */
  unitPrice: z.number().int().min(0),
  quantity: z.number().int().min(MIN_ITEM_QUANTITY).max(MAX_ITEM_QUANTITY),
});

/** One line of an order, priced from the catalog when the order was placed. */
export type OrderItem = { productId: string; productName: string; unitPrice: number; quantity: number };
