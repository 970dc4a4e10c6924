import { randomUUID } from "node:crypto";
import type { OrderState } from "@order-flow/domain";

/** A STOCK_RESERVED order as the repositories store it; override what a test is about. */
export function newOrder(overrides: Partial<OrderState> = {}): OrderState {
  const now = new Date();
  return {
    id: randomUUID(),
    orderNumber: `ORD-TEST-${randomUUID().slice(0, 8)}`,
    userId: randomUUID(),
    storeId: randomUUID(),
    status: "STOCK_RESERVED",
    items: [{ productId: randomUUID(), productName: "Tteokbokki", unitPrice: 12000, quantity: 2 }],
    totalAmount: 24000,
    reservationId: "r-1",
    paymentId: null,
    expiresAt: new Date(now.getTime() + 600_000),
    confirmedAt: null,
    cancelledAt: null,
    failureReason: null,
    refundId: null,
    version: 0,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
