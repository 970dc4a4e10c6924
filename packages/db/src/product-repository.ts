import type { Database } from "./database.ts";
import { runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

export type Product = {
  id: string;
  storeId: string;
  name: string;
  price: number;
  onHand: number;
};

// price is BIGINT: the pool's int8 parser reads it as a number.
const SELECT_PRODUCT = `SELECT id, store_id AS "storeId", name, price, on_hand AS "onHand" FROM p_product`;

export const productRepository = {
  async findById(db: SqlTarget, id: string): Promise<Product | null> {
    const params = new SqlParams();
    const rows = await runStatement<Product>(db, `${SELECT_PRODUCT} WHERE id = ${params.add(id, "uuid")}`, params);
    return rows[0] ?? null;
  },

  /** The catalog entries of an order's lines, in one query on the pool (hot path of POST /orders). */
  async findMany(db: Database, ids: string[]): Promise<Product[]> {
    const params = new SqlParams();
    return runStatement<Product>(db, `${SELECT_PRODUCT} WHERE id = ANY(${params.add(ids, "uuid[]")})`, params);
  },

  /**
   * Creates the product (with no stock yet) or updates its name and price; on-hand
   * stock is set through the stock service, which keeps Redis in step.
   */
  async upsertCatalogEntry(
    db: SqlTarget,
    product: { id: string; storeId: string; name: string; price: number; now: Date },
  ): Promise<void> {
    const params = new SqlParams();
    await runStatement(
      db,
      `INSERT INTO p_product (id, store_id, name, price, on_hand, created_at, updated_at)
       VALUES (${params.add(product.id, "uuid")}, ${params.add(product.storeId, "uuid")}, ${params.add(product.name)},
         ${params.add(product.price, "bigint")}, 0, ${params.add(product.now, "timestamptz")}, ${params.add(product.now, "timestamptz")})
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, updated_at = EXCLUDED.updated_at`,
      params,
    );
  },
};
