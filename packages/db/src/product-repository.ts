import type { Db, PrismaClient } from "./client.ts";
import { int8ToNumber } from "./int8.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

export type Product = {
  id: string;
  storeId: string;
  name: string;
  price: number;
  onHand: number;
};

export const productRepository = {
  async findById(db: Db, id: string): Promise<Product | null> {
    const row = await db.product.findUnique({
      where: { id },
      select: { id: true, storeId: true, name: true, price: true, onHand: true },
    });
    return row && { ...row, price: int8ToNumber(row.price) };
  },

  /** The catalog entries of an order's lines, in one query on the pool (hot path of POST /orders). */
  async findMany(prisma: PrismaClient, ids: string[]): Promise<Product[]> {
    const params = new SqlParams();
    return runStatement<Product>(
      prisma.$pool,
      `SELECT id, store_id AS "storeId", name, price, on_hand AS "onHand" FROM p_product WHERE id = ANY(${params.add(ids, "uuid[]")})`,
      params,
    );
  },

  /**
   * Creates the product (with no stock yet) or updates its name and price; on-hand
   * stock is set through the stock service, which keeps Redis in step.
   */
  async upsertCatalogEntry(
    db: Db,
    product: { id: string; storeId: string; name: string; price: number; now: Date },
  ): Promise<void> {
    await db.product.upsert({
      where: { id: product.id },
      create: {
        id: product.id,
        storeId: product.storeId,
        name: product.name,
        price: product.price,
        onHand: 0,
        createdAt: product.now,
        updatedAt: product.now,
      },
      update: { name: product.name, price: product.price, updatedAt: product.now },
    });
  },
};
