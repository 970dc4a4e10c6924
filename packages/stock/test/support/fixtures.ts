import { randomUUID } from "node:crypto";
import type { PrismaClient } from "@order-flow/db/testing";

/** Inserts products straight into p_product (the API owns the catalog; tests seed it). */
export async function seedProducts(
  prisma: PrismaClient,
  storeId: string,
  onHands: number[],
): Promise<string[]> {
  const now = new Date();
  const ids = onHands.map(() => randomUUID());
  await prisma.product.createMany({
    data: ids.map((id, i) => ({
      id,
      storeId,
      name: `product ${i}`,
      price: 1000,
      onHand: onHands[i]!,
      createdAt: now,
      updatedAt: now,
    })),
  });
  return ids;
}

export async function insertOrder(prisma: PrismaClient, orderId: string, storeId: string, status: string): Promise<void> {
  const now = new Date();
  await prisma.order.create({
    data: {
      id: orderId,
      userId: randomUUID(),
      storeId,
      orderNumber: `ORD-TEST-${orderId.slice(0, 8)}`,
      status,
      totalAmount: 1000,
      expiresAt: now,
      createdAt: now,
      updatedAt: now,
    },
  });
}

export async function onHandInPg(prisma: PrismaClient, productId: string): Promise<number> {
  const row = await prisma.product.findUniqueOrThrow({ where: { id: productId } });
  return row.onHand;
}

export async function logStatuses(prisma: PrismaClient): Promise<Map<string, string>> {
  const rows = await prisma.stockReservationLog.findMany({ select: { reservationId: true, status: true } });
  return new Map(rows.map((r) => [r.reservationId, r.status]));
}

/** PostgreSQL's view of a product: on_hand and units held by RESERVED log rows. */
export async function pgView(prisma: PrismaClient): Promise<Map<string, { onHand: number; reserved: number }>> {
  const products = await prisma.product.findMany({ select: { id: true, onHand: true } });
  const view = new Map(products.map((p) => [p.id, { onHand: p.onHand, reserved: 0 }]));
  const held = await prisma.stockReservationLog.findMany({ where: { status: "RESERVED" }, select: { products: true } });
  for (const row of held) {
    for (const item of row.products as { productId: string; quantity: number }[]) {
      const entry = view.get(item.productId);
      if (entry) entry.reserved += item.quantity;
    }
  }
  return view;
}
