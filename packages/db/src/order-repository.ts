import { canView, type Actor, type OrderState, type OrderStatus } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { decodeCursor, encodeCursor } from "./order-cursor.ts";
import { orderFromRow, SELECT_ORDER, type OrderRowWithItemsJson } from "./order-row.ts";
import { runCount, runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

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
  async findById(db: Database, id: string): Promise<OrderState | null> {
    const params = new SqlParams();
    const rows = await runStatement<OrderRowWithItemsJson>(db, `${SELECT_ORDER} WHERE o.id = ${params.add(id, "uuid")}`, params);
    return rows[0] ? orderFromRow(rows[0]) : null;
  },

  /** The order if it exists and the viewer may see it; null otherwise (API answers 404 either way). */
  async findForViewer(db: Database, id: string, viewer: Actor): Promise<OrderState | null> {
    const order = await orderRepository.findById(db, id);
    return order && canView(viewer, order) ? order : null;
  },

  /** A page of the orders the viewer may see, newest first (keyset on created_at, id). */
  async list(db: SqlTarget, query: OrderListQuery): Promise<{ items: OrderState[]; nextCursor: string | null }> {
    const params = new SqlParams();
    const where: string[] = [];
    const { viewer } = query;
    // A viewer without its own id matches nothing (col = NULL is never true).
    if (viewer.role === "customer") where.push(`o.user_id = ${params.add(viewer.userId ?? null, "uuid")}`);
    if (viewer.role === "store") where.push(`o.store_id = ${params.add(viewer.storeId ?? null, "uuid")}`);
    if (query.status) where.push(`o.status = ${params.add(query.status)}`);
    if (query.storeId) where.push(`o.store_id = ${params.add(query.storeId, "uuid")}`);
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor);
      if (!cursor) throw new InvalidCursor("cursor is not valid");
      where.push(`(o.created_at, o.id) < (${params.add(cursor.createdAt, "timestamptz")}, ${params.add(cursor.id, "uuid")})`);
    }
    const rows = await runStatement<OrderRowWithItemsJson>(
      db,
      `${SELECT_ORDER}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
       ORDER BY o.created_at DESC, o.id DESC LIMIT ${params.add(query.limit + 1, "int")}`,
      params,
    );
    const page = rows.slice(0, query.limit).map(orderFromRow);
    const last = page[page.length - 1];
    return {
      items: page,
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  },

  /** Unpaid orders whose deadline has passed: the safety net behind the delayed timeout jobs. */
  async findExpiredOrders(db: SqlTarget, now: Date, limit: number): Promise<OrderState[]> {
    const params = new SqlParams();
    const rows = await runStatement<OrderRowWithItemsJson>(
      db,
      `${SELECT_ORDER} WHERE o.status = ANY(${params.add(UNPAID_STATUSES, "text[]")})
         AND o.expires_at <= ${params.add(now, "timestamptz")}
       ORDER BY o.expires_at LIMIT ${params.add(limit, "int")}`,
      params,
    );
    return rows.map(orderFromRow);
  },

  /**
   * Records the PG's refund id on an order whose status does not change with the refund
   * (a cancelled or rejected order refunded afterwards); true only the first time.
   */
  async recordRefundId(db: SqlTarget, orderId: string, refundId: string, now: Date): Promise<boolean> {
    const params = new SqlParams();
    const count = await runCount(
      db,
      `UPDATE p_order SET refund_id = ${params.add(refundId)}, updated_at = ${params.add(now, "timestamptz")}, version = version + 1
       WHERE id = ${params.add(orderId, "uuid")} AND refund_id IS NULL`,
      params,
    );
    return count === 1;
  },

  async orderNumberTaken(db: SqlTarget, orderNumber: string): Promise<boolean> {
    const params = new SqlParams();
    const rows = await runStatement<{ taken: boolean }>(
      db,
      `SELECT EXISTS (SELECT 1 FROM p_order WHERE order_number = ${params.add(orderNumber)}) AS taken`,
      params,
    );
    return rows[0]?.taken === true;
  },
};
