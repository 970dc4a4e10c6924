import { canView, type Actor, type OrderState, type OrderStatus } from "@order-flow/domain";
import type { Db, PrismaClient } from "./client.ts";
import { decodeCursor, encodeCursor } from "./order-cursor.ts";
import { toDomain } from "./order-mapper.ts";
import { orderFromRow, SELECT_ORDER, type OrderRowWithItemsJson } from "./order-row.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

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
  /** The order with its items, in one query. */
  async findById(prisma: PrismaClient, id: string): Promise<OrderState | null> {
    const params = new SqlParams();
    const rows = await runStatement<OrderRowWithItemsJson>(prisma.$pool, `${SELECT_ORDER} WHERE o.id = ${params.add(id, "uuid")}`, params);
    return rows[0] ? orderFromRow(rows[0]) : null;
  },

  /** The order if it exists and the viewer may see it; null otherwise (API answers 404 either way). */
  async findForViewer(prisma: PrismaClient, id: string, viewer: Actor): Promise<OrderState | null> {
    const order = await orderRepository.findById(prisma, id);
    return order && canView(viewer, order) ? order : null;
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
