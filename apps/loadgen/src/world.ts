// The simulated world: an admin, stores with their catalog, and customers, each with a JWT.
import { randomUUID } from "node:crypto";
import { sign } from "hono/jwt";
import type { ApiClient } from "./api-client.ts";
import type { OrderLine } from "./stats.ts";

export type Customer = { id: string; token: string };
export type SeededProduct = { storeId: string; productId: string; price: number; initialOnHand: number };
export type Store = { id: string; token: string; products: SeededProduct[] };
export type World = { adminToken: string; stores: Store[]; customers: Customer[] };

/** Tokens outlive any run (bounded by --duration plus settling). */
const TOKEN_HOURS = 6;

export async function mintToken(
  secret: string,
  claims: { sub: string; role: "customer" | "store" | "admin"; storeId?: string },
): Promise<string> {
  return sign({ ...claims, exp: Math.floor(Date.now() / 1000) + TOKEN_HOURS * 3600 }, secret, "HS256");
}

/** Deterministic PRNG (mulberry32) so a --seed reproduces the same choices. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

/** 1–3 distinct products of one store, 1–3 units each. */
export function pickLines(rng: () => number, store: Store): OrderLine[] {
  const count = Math.min(store.products.length, 1 + Math.floor(rng() * 3));
  const pool = [...store.products];
  const lines: OrderLine[] = [];
  for (let i = 0; i < count; i++) {
    const [p] = pool.splice(Math.floor(rng() * pool.length), 1);
    if (p) lines.push({ productId: p.productId, quantity: 1 + Math.floor(rng() * 3) });
  }
  return lines;
}

/** Creates the stores' products with PUT as admin (fresh ids, so a run never shares stock). */
export async function seedWorld(
  api: ApiClient,
  options: { jwtSecret: string; stores: number; products: number; stock: number; customers: number; rng: () => number },
): Promise<World> {
  const adminToken = await mintToken(options.jwtSecret, { sub: randomUUID(), role: "admin" });
  const stores: Store[] = [];
  for (let s = 0; s < options.stores; s++) {
    const id = randomUUID();
    const store: Store = { id, token: await mintToken(options.jwtSecret, { sub: randomUUID(), role: "store", storeId: id }), products: [] };
    for (let p = 0; p < options.products; p++) {
      const productId = randomUUID();
      const price = 1000 * (1 + Math.floor(options.rng() * 20));
      const res = await api.request("PUT", `/stores/${id}/products/${productId}`, {
        token: adminToken,
        body: { name: `loadgen product ${s + 1}.${p + 1}`, price, onHand: options.stock },
        route: "PUT /stores/:id/products/:id",
        idempotent: true,
      });
      if (res.status !== 200) {
        throw new Error(`seeding product failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
      store.products.push({ storeId: id, productId, price, initialOnHand: options.stock });
    }
    stores.push(store);
  }
  const customers: Customer[] = [];
  for (let c = 0; c < options.customers; c++) {
    const id = randomUUID();
    customers.push({ id, token: await mintToken(options.jwtSecret, { sub: id, role: "customer" }) });
  }
  return { adminToken, stores, customers };
}
