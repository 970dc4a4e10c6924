import { canView, type Actor, type OrderState, type OrderStatus } from "@order-flow/domain";
import type { Db } from "./client.ts";
import { decodeCursor, encodeCursor } from "./order-cursor.ts";
import { toDomain, toPersistence } from "./order-mapper.ts";

export type TransitionOutcome = "APPLIED" | "LOST_RACE" | "NOT_FOUND";

export type OrderListQuery = {
  viewer: Actor;
  status?: OrderStatus;
  storeId?: string;
  limit: number;
  cursor?: string;
};

/** Statuses after which an unpaid deadline no longer matters. */
const UNPAID_STATUSES: OrderStatus[] = ["STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED"];

export class InvalidCursor extends Error {
  readonly code = "VALIDATION_FAILED";
}

export const orderRepository = {
  async create(db: Db, order: OrderState, newId: () => string): Promise<void> {
    // Two plain INSERTs: a nested create() adds a read-back SELECT nobody uses (one round trip
    // per order inside the order's transaction; see BENCHMARKS.md).
    await db.order.createMany({
      data: [
        {
          id: order.id,
          userId: order.userId,
          storeId: order.storeId,
          orderNumber: order.orderNumber,
          createdAt: order.createdAt,
          ...toPersistence(order),
        },
      ],
    });
    await db.orderItem.createMany({
      data: order.items.map((item) => ({
        id: newId(),
        orderId: order.id,
        productId: item.productId,
        productName: item.productName,
        unitPrice: item.unitPrice,
        quantity: item.quantity,
      })),
    });
  },

  async findById(db: Db, id: string): Promise<OrderState | null> {
    const row = await db.order.findUnique({ where: { id }, include: { items: true } });
    return row ? toDomain(row) : null;
  },

  /** The order if it exists and the viewer may see it; null otherwise (API answers 404 either way). */
  async findForViewer(db: Db, id: string, viewer: Actor): Promise<OrderState | null> {
    const order = await orderRepository.findById(db, id);
    return order && canView(viewer, order) ? order : null;
  },

  /**
   * One conditional write on id + expected status + expected version: of two racers
   * from the same state exactly one gets APPLIED.
   */
  async transition(db: Db, previous: OrderState, next: OrderState): Promise<TransitionOutcome> {
    const { count } = await db.order.updateMany({
      where: { id: previous.id, status: previous.status, version: previous.version },
      data: toPersistence(next),
    });
    if (count === 1) return "APPLIED";
    const exists = await db.order.count({ where: { id: previous.id } });
    return exists ? "LOST_RACE" : "NOT_FOUND";
  },

  async list(db: Db, query: OrderListQuery): Promise<{ items: OrderState[]; nextCursor: string | null }> {
    const where: Record<string, unknown>[] = [];
    const { viewer } = query;
    if (viewer.role === "customer") where.push({ userId: viewer.userId ?? "" });
    if (viewer.role === "store") where.push({ storeId: viewer.storeId ?? "" });
    if (query.status) where.push({ status: query.status });
    if (query.storeId) where.push({ storeId: query.storeId });
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor);
      if (!cursor) throw new InvalidCursor("cursor is not valid");
      where.push({
        OR: [
          { createdAt: { lt: cursor.createdAt } },
          { createdAt: cursor.createdAt, id: { lt: cursor.id } },
        ],
      });
    }
    const rows = await db.order.findMany({
      where: { AND: where },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: query.limit + 1,
      include: { items: true },
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toDomain),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  },

  /** Unpaid orders whose deadline has passed: the safety net behind the delayed timeout jobs. */
  async findExpiredOrders(db: Db, now: Date, limit: number): Promise<OrderState[]> {
    const rows = await db.order.findMany({
      where: { status: { in: UNPAID_STATUSES }, expiresAt: { lte: now } },
      orderBy: { expiresAt: "asc" },
      take: limit,
      include: { items: true },
    });
    return rows.map(toDomain);
  },

  /**
   * Records the PG's refund id on an order whose status does not change with the refund
   * (a cancelled or rejected order refunded afterwards); true only the first time.
   */
  async recordRefundId(db: Db, orderId: string, refundId: string, now: Date): Promise<boolean> {
    const { count } = await db.order.updateMany({
      where: { id: orderId, refundId: null },
      data: { refundId, updatedAt: now, version: { increment: 1 } },
    });
    return count === 1;
  },

  async orderNumberTaken(db: Db, orderNumber: string): Promise<boolean> {
    return (await db.order.count({ where: { orderNumber } })) > 0;
  },
};
