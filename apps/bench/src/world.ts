// Seeding (products with ample stock, many customers) and the order lifecycle over HTTP.
import { randomUUID } from "node:crypto";
import { signWebhook } from "@order-flow/payments";
import { sign } from "hono/jwt";
import type { HttpClient } from "./http.ts";

export type Product = { storeId: string; productId: string; price: number; onHand: number };
export type Customer = { id: string; auth: string };
export type World = { products: Product[]; customers: Customer[]; stores: string[]; admin: string };

async function token(secret: string, claims: Record<string, unknown>): Promise<string> {
  return sign({ ...claims, exp: Math.floor(Date.now() / 1000) + 6 * 3600 }, secret, "HS256");
}

/** `stores` × `productsPerStore` products with `onHand` units each, and `customers` tokens. */
export async function seedWorld(
  client: HttpClient,
  jwtSecret: string,
  options: { stores: number; productsPerStore: number; onHand: number; customers: number },
): Promise<World> {
  const admin = `Bearer ${await token(jwtSecret, { sub: randomUUID(), role: "admin" })}`;
  const products: Product[] = [];
  const stores: string[] = [];
  for (let s = 0; s < options.stores; s++) {
    const storeId = randomUUID();
    stores.push(storeId);
    for (let p = 0; p < options.productsPerStore; p++) {
      const product = { storeId, productId: randomUUID(), price: 1000 + 100 * p, onHand: options.onHand };
      const res = await client.request(
        "PUT",
        `/stores/${storeId}/products/${product.productId}`,
        { name: `bench-${s}-${p}`, price: product.price, onHand: product.onHand },
        { authorization: admin },
      );
      if (res.status !== 200 && res.status !== 201) throw new Error(`seeding a product: ${res.status} ${res.body}`);
      products.push(product);
    }
  }
  const customers: Customer[] = [];
  for (let c = 0; c < options.customers; c++) {
    const id = randomUUID();
    customers.push({ id, auth: `Bearer ${await token(jwtSecret, { sub: id, role: "customer" })}` });
  }
  return { products, customers, stores, admin };
}

/** One order's body: `lines` products of one store (round robin), 1 unit each. */
export function orderBody(world: World, n: number, lines = 2): { storeId: string; items: { productId: string; quantity: number }[] } {
  const storeId = world.stores[n % world.stores.length]!;
  const ofStore = world.products.filter((p) => p.storeId === storeId);
  const items = [];
  for (let i = 0; i < Math.min(lines, ofStore.length); i++) {
    items.push({ productId: ofStore[(n + i) % ofStore.length]!.productId, quantity: 1 });
  }
  return { storeId, items };
}

export type CreatedOrder = { id: string; totalAmount: number };

/** `idempotencyKey`: sent as the Idempotency-Key header (a client retrying safely, as the lifecycle bench does). */
export async function createOrder(client: HttpClient, world: World, n: number, idempotencyKey?: string): Promise<CreatedOrder> {
  const customer = world.customers[n % world.customers.length]!;
  const headers: Record<string, string> = { authorization: customer.auth };
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  const res = await client.request("POST", "/orders", orderBody(world, n), headers);
  if (res.status !== 201) throw new Error(`POST /orders: ${res.status} ${res.body.slice(0, 200)}`);
  const order = JSON.parse(res.body) as { id: string; totalAmount: number };
  return { id: order.id, totalAmount: order.totalAmount };
}

/**
 * POST /orders (with an Idempotency-Key unless `idempotencyKey` is false), POST
 * /orders/:id/payment, then the PG's signed PAID webhook.
 */
export async function placeAndPay(
  client: HttpClient,
  world: World,
  n: number,
  webhookSecret: string,
  options: { idempotencyKey?: boolean } = {},
): Promise<string> {
  const customer = world.customers[n % world.customers.length]!;
  const order = await createOrder(client, world, n, options.idempotencyKey === false ? undefined : `bench-order-${n}`);
  const pay = await client.request("POST", `/orders/${order.id}/payment`, undefined, { authorization: customer.auth });
  if (pay.status !== 202) throw new Error(`POST /orders/:id/payment: ${pay.status} ${pay.body.slice(0, 200)}`);
  const { paymentId } = JSON.parse(pay.body) as { paymentId: string };
  const raw = JSON.stringify({
    eventId: randomUUID(),
    paymentId,
    orderId: order.id,
    status: "PAID",
    amount: order.totalAmount,
    pgTransactionId: `pg_${randomUUID()}`,
  });
  const hook = await client.request("POST", "/webhooks/payments", raw, {
    "x-signature": signWebhook(raw, webhookSecret, Math.floor(Date.now() / 1000)),
  });
  const outcome = hook.status === 200 ? (JSON.parse(hook.body) as { outcome: string }).outcome : null;
  if (outcome !== "PAYMENT_COMPLETED") throw new Error(`webhook: ${hook.status} ${hook.body.slice(0, 200)}`);
  return order.id;
}
