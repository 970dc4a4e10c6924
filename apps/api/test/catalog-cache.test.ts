import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { harnessPerTest, type Harness } from "./support/harness.ts";

const api = harnessPerTest();

/** A change made behind this process's back (another API process, an operator's SQL). */
async function changeBehindTheCache(h: Harness, productId: string, set: { price?: number; name?: string; storeId?: string }) {
  await h.db.pool.query(
    "UPDATE p_product SET price = COALESCE($2, price), name = COALESCE($3, name), store_id = COALESCE($4::uuid, store_id) WHERE id = $1",
    [productId, set.price ?? null, set.name ?? null, set.storeId ?? null],
  );
}

describe("orders priced from the catalog kept in memory", () => {
  it("a price changed behind the cache: the order's statement notices, the order carries the new price, once", async () => {
    const h = await api();
    const productId = await h.product({ price: 1000, onHand: 10, name: "Tteokbokki" });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 2 }] };
    const first = await h.call("POST", "/orders", { token: h.tokens.customer, body });
    expect(first.status).toBe(201);
    expect(first.body.totalAmount).toBe(2000);

    await changeBehindTheCache(h, productId, { price: 1500, name: "Rabokki" });
    const second = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers: { "Idempotency-Key": randomUUID() } });
    expect(second.status).toBe(201);
    expect(second.body.totalAmount).toBe(3000);
    expect(second.body.items[0]).toMatchObject({ productName: "Rabokki", unitPrice: 1500 });
    const { rows } = await h.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM p_order WHERE user_id = $1", [h.customerId]);
    expect(rows[0]!.n).toBe(2);
    // Two holds of 2, no hold left behind by the repricing.
    expect(await h.stockOf(productId)).toEqual({ onHand: 10, available: 6, reserved: 4 });
  });

  it("a product moved to another store behind the cache: 422 UNKNOWN_PRODUCT, nothing written, its hold given back", async () => {
    const h = await api();
    const productId = await h.product({ price: 1000, onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    expect((await h.call("POST", "/orders", { token: h.tokens.customer, body })).status).toBe(201);

    await changeBehindTheCache(h, productId, { storeId: randomUUID() });
    const refused = await h.call("POST", "/orders", { token: h.tokens.customer, body });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe("UNKNOWN_PRODUCT");
    const { rows } = await h.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM p_order WHERE user_id = $1", [h.customerId]);
    expect(rows[0]!.n).toBe(1);
    // Stock stays with the store it was set for: one unit held by the first order, none by the refused one.
    expect(await h.stock.getStock(h.storeId, productId)).toMatchObject({ available: 9, reserved: 1 });
  });

  it("a price written through the API is used by the next order of the same process at once", async () => {
    const h = await api();
    const productId = await h.product({ price: 1000, onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    expect((await h.call("POST", "/orders", { token: h.tokens.customer, body })).body.totalAmount).toBe(1000);
    const put = await h.call("PUT", `/stores/${h.storeId}/products/${productId}`, {
      token: h.tokens.admin,
      body: { name: "Gimbap", price: 2500, onHand: 10 },
    });
    expect(put.status).toBe(200);
    expect((await h.call("POST", "/orders", { token: h.tokens.customer, body })).body.totalAmount).toBe(2500);
  });
});
