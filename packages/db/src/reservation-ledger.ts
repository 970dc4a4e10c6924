import {
  PAID_STATUSES,
  type OnHandChange,
  type ReservationLedger,
  type ReservationLogEntry,
  type ReservationLogStatus,
  type StockLine,
  type StoreStockSnapshot,
} from "@order-flow/domain";
import type pg from "pg";
import { inPgTransaction } from "./pg-transaction.ts";
import { confirmReservationCtes } from "./reservation-confirm.ts";
import { SqlParams } from "./sql-statement.ts";

type EntryRow = {
  reservation_id: string;
  order_id: string;
  store_id: string;
  products: StockLine[];
  status: ReservationLogStatus;
  expires_at: Date;
};

const ENTRY_COLUMNS = `reservation_id, order_id::text AS order_id, store_id::text AS store_id, products, status, expires_at`;

function toEntry(row: EntryRow): ReservationLogEntry {
  return {
    reservationId: row.reservation_id,
    orderId: row.order_id,
    storeId: row.store_id,
    products: row.products,
    status: row.status,
    expiresAt: new Date(row.expires_at),
  };
}

type Queryable = pg.Pool | pg.PoolClient;

async function query<Row extends pg.QueryResultRow>(db: Queryable, name: string, text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
  return db.query<Row>({ name, text, values });
}

/** RESERVED -> CONFIRMED and on_hand -= q as one statement; true when this call changed the row. */
async function confirmEntry(db: Queryable, reservationId: string): Promise<boolean> {
  const p = new SqlParams();
  const ctes = confirmReservationCtes(p, reservationId, null);
  const { rows } = await query<{ confirmed: boolean }>(
    db,
    "ledger_confirm",
    `WITH ${ctes.join(",\n")} SELECT EXISTS (SELECT 1 FROM stock_confirm) AS confirmed`,
    p.values,
  );
  return rows[0]?.confirmed === true;
}

async function lockedEntry(client: pg.PoolClient, reservationId: string): Promise<ReservationLogEntry | null> {
  const { rows } = await query<EntryRow>(
    client,
    "ledger_locked_entry",
    `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE reservation_id = $1 FOR UPDATE`,
    [reservationId],
  );
  return rows[0] ? toEntry(rows[0]) : null;
}

/** Moves on_hand for each line, in product id order so concurrent transactions lock alike. */
async function adjustOnHand(client: pg.PoolClient, products: StockLine[], sign: 1 | -1): Promise<void> {
  const sorted = [...products].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  for (const { productId, quantity } of sorted) {
    await query(client, "ledger_adjust_on_hand", `UPDATE p_product SET on_hand = on_hand + $2, updated_at = now() WHERE id = $1::uuid`, [
      productId,
      sign * quantity,
    ]);
  }
}

/** The reservation ledger on PostgreSQL: p_stock_reservation_log and p_product.on_hand, on the pg pool. */
export function pgReservationLedger(pool: pg.Pool): ReservationLedger {
  return {
    async find(reservationId) {
      const { rows } = await query<EntryRow>(
        pool,
        "ledger_find",
        `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE reservation_id = $1`,
        [reservationId],
      );
      return rows[0] ? toEntry(rows[0]) : null;
    },

    async statuses(reservationIds) {
      if (reservationIds.length === 0) return new Map();
      const { rows } = await query<{ reservation_id: string; status: ReservationLogStatus }>(
        pool,
        "ledger_statuses",
        `SELECT reservation_id, status FROM p_stock_reservation_log WHERE reservation_id = ANY($1::text[])`,
        [reservationIds],
      );
      return new Map(rows.map((r) => [r.reservation_id, r.status]));
    },

    confirm: (reservationId) => confirmEntry(pool, reservationId),

    async close(reservationId, from, to) {
      const { rowCount } = await query(
        pool,
        "ledger_close",
        `UPDATE p_stock_reservation_log SET status = $3, updated_at = now() WHERE reservation_id = $1 AND status = $2`,
        [reservationId, from, to],
      );
      return (rowCount ?? 0) > 0;
    },

    async releaseSale(reservationId) {
      await inPgTransaction(pool, async (client) => {
        const entry = await lockedEntry(client, reservationId);
        if (!entry || (entry.status !== "RESERVED" && entry.status !== "CONFIRMED")) return;
        await query(
          client,
          "ledger_release_sale",
          `UPDATE p_stock_reservation_log SET status = 'RELEASED', updated_at = now() WHERE reservation_id = $1`,
          [reservationId],
        );
        if (entry.status === "CONFIRMED") await adjustOnHand(client, entry.products, +1);
      });
    },

    withLockedEntry(reservationId, body) {
      return inPgTransaction(pool, async (client) => body(await lockedEntry(client, reservationId)));
    },

    async dueHolds(cutoff, limit) {
      const { rows } = await query<EntryRow>(
        pool,
        "ledger_due_holds",
        `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log
         WHERE status = 'RESERVED' AND expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2`,
        [cutoff, limit],
      );
      return rows.map(toEntry);
    },

    async recentHolds(since) {
      const { rows } = await query<EntryRow>(
        pool,
        "ledger_recent_holds",
        `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE status = 'RESERVED' AND created_at >= $1::timestamptz`,
        [since],
      );
      return rows.map(toEntry);
    },

    async paidOrders(orderIds) {
      if (orderIds.length === 0) return new Set();
      const { rows } = await query<{ id: string }>(
        pool,
        "ledger_paid_orders",
        `SELECT id::text AS id FROM p_order WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])`,
        [orderIds, PAID_STATUSES],
      );
      return new Set(rows.map((r) => r.id));
    },

    async stores() {
      const { rows } = await query<{ store_id: string }>(
        pool,
        "ledger_stores",
        `SELECT store_id::text AS store_id FROM p_product
         UNION SELECT store_id::text FROM p_stock_reservation_log WHERE status = 'RESERVED'`,
        [],
      );
      return rows.map((r) => r.store_id);
    },

    withStoreSnapshot(storeId, write) {
      return inPgTransaction(pool, async (client) => {
        const products = await query<{ id: string; on_hand: number }>(
          client,
          "ledger_store_products",
          `SELECT id::text AS id, on_hand FROM p_product WHERE store_id = $1::uuid ORDER BY id FOR SHARE`,
          [storeId],
        );
        const holds = await query<EntryRow>(
          client,
          "ledger_store_holds",
          `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE store_id = $1::uuid AND status = 'RESERVED'`,
          [storeId],
        );
        const snapshot: StoreStockSnapshot = {
          products: products.rows.map((r) => ({ productId: r.id, onHand: r.on_hand })),
          holds: holds.rows.map(toEntry),
        };
        return write(snapshot);
      });
    },

    setOnHand<T>(
      storeId: string,
      productId: string,
      onHand: number,
      apply: (change: number) => Promise<{ write: boolean; result: T }>,
    ): Promise<OnHandChange<T>> {
      return inPgTransaction(pool, async (client) => {
        const { rows } = await query<{ on_hand: number; store_id: string }>(
          client,
          "ledger_product_locked",
          `SELECT on_hand, store_id::text AS store_id FROM p_product WHERE id = $1::uuid FOR UPDATE`,
          [productId],
        );
        const row = rows[0];
        if (!row || row.store_id !== storeId) return { found: false } as const;
        const { write, result } = await apply(onHand - row.on_hand);
        if (write) {
          await query(client, "ledger_set_on_hand", `UPDATE p_product SET on_hand = $2, updated_at = now() WHERE id = $1::uuid`, [
            productId,
            onHand,
          ]);
        }
        return { found: true, result } as const;
      });
    },
  };
}
