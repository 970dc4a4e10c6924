import {
  PAID_STATUSES,
  type OnHandChange,
  type ReservationLedger,
  type ReservationLogEntry,
  type ReservationLogStatus,
  type StockLine,
  type StoreStockSnapshot,
} from "@order-flow/domain";
import type { Database } from "./database.ts";
import { inPgTransaction, type PgClient } from "./pg-transaction.ts";
import { confirmReservationCtes } from "./reservation-confirm.ts";
import { runCount, runStatement, SqlParams, type SqlTarget } from "./sql-statement.ts";

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

/** One statement with its values in order ($1, $2, …). */
function params(...values: unknown[]): SqlParams {
  const p = new SqlParams();
  for (const value of values) p.add(value);
  return p;
}

/** RESERVED -> CONFIRMED and on_hand -= q as one statement; true when this call changed the row. */
async function confirmEntry(on: SqlTarget, reservationId: string): Promise<boolean> {
  const p = new SqlParams();
  const ctes = confirmReservationCtes(p, reservationId, null);
  const rows = await runStatement<{ confirmed: boolean }>(
    on,
    `WITH ${ctes.join(",\n")} SELECT EXISTS (SELECT 1 FROM stock_confirm) AS confirmed`,
    p,
  );
  return rows[0]?.confirmed === true;
}

async function lockedEntry(client: PgClient, reservationId: string): Promise<ReservationLogEntry | null> {
  const rows = await runStatement<EntryRow>(
    client,
    `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE reservation_id = $1 FOR UPDATE`,
    params(reservationId),
  );
  return rows[0] ? toEntry(rows[0]) : null;
}

/** Moves on_hand for each line, in product id order so concurrent transactions lock alike. */
async function adjustOnHand(client: PgClient, products: StockLine[], sign: 1 | -1): Promise<void> {
  const sorted = [...products].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  for (const { productId, quantity } of sorted) {
    await runCount(
      client,
      `UPDATE p_product SET on_hand = on_hand + $2, updated_at = now() WHERE id = $1::uuid`,
      params(productId, sign * quantity),
    );
  }
}

/** The reservation ledger on PostgreSQL: p_stock_reservation_log and p_product.on_hand. */
export function pgReservationLedger(on: Database): ReservationLedger {
  return {
    async find(reservationId) {
      const rows = await runStatement<EntryRow>(
        on,
        `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE reservation_id = $1`,
        params(reservationId),
      );
      return rows[0] ? toEntry(rows[0]) : null;
    },

    async statuses(reservationIds) {
      if (reservationIds.length === 0) return new Map();
      const rows = await runStatement<{ reservation_id: string; status: ReservationLogStatus }>(
        on,
        `SELECT reservation_id, status FROM p_stock_reservation_log WHERE reservation_id = ANY($1::text[])`,
        params(reservationIds),
      );
      return new Map(rows.map((r) => [r.reservation_id, r.status]));
    },

    confirm: (reservationId) => confirmEntry(on, reservationId),

    async close(reservationId, from, to) {
      const changed = await runCount(
        on,
        `UPDATE p_stock_reservation_log SET status = $3, updated_at = now() WHERE reservation_id = $1 AND status = $2`,
        params(reservationId, from, to),
      );
      return changed > 0;
    },

    async releaseSale(reservationId) {
      await inPgTransaction(on, async (client) => {
        const entry = await lockedEntry(client, reservationId);
        if (!entry || (entry.status !== "RESERVED" && entry.status !== "CONFIRMED")) return;
        await runCount(
          client,
          `UPDATE p_stock_reservation_log SET status = 'RELEASED', updated_at = now() WHERE reservation_id = $1`,
          params(reservationId),
        );
        if (entry.status === "CONFIRMED") await adjustOnHand(client, entry.products, +1);
      });
    },

    withLockedEntry(reservationId, body) {
      return inPgTransaction(on, async (client) => body(await lockedEntry(client, reservationId)));
    },

    async dueHolds(cutoff, limit) {
      const rows = await runStatement<EntryRow>(
        on,
        `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log
         WHERE status = 'RESERVED' AND expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2`,
        params(cutoff, limit),
      );
      return rows.map(toEntry);
    },

    async recentHolds(since) {
      const rows = await runStatement<EntryRow>(
        on,
        `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE status = 'RESERVED' AND created_at >= $1::timestamptz`,
        params(since),
      );
      return rows.map(toEntry);
    },

    async paidOrders(orderIds) {
      if (orderIds.length === 0) return new Set();
      const rows = await runStatement<{ id: string }>(
        on,
        `SELECT id::text AS id FROM p_order WHERE id = ANY($1::uuid[]) AND status = ANY($2::text[])`,
        params(orderIds, PAID_STATUSES),
      );
      return new Set(rows.map((r) => r.id));
    },

    async stores() {
      const rows = await runStatement<{ store_id: string }>(
        on,
        `SELECT store_id::text AS store_id FROM p_product
         UNION SELECT store_id::text FROM p_stock_reservation_log WHERE status = 'RESERVED'`,
        params(),
      );
      return rows.map((r) => r.store_id);
    },

    withStoreSnapshot(storeId, write) {
      return inPgTransaction(on, async (client) => {
        const products = await runStatement<{ id: string; on_hand: number }>(
          client,
          `SELECT id::text AS id, on_hand FROM p_product WHERE store_id = $1::uuid ORDER BY id FOR SHARE`,
          params(storeId),
        );
        const holds = await runStatement<EntryRow>(
          client,
          `SELECT ${ENTRY_COLUMNS} FROM p_stock_reservation_log WHERE store_id = $1::uuid AND status = 'RESERVED'`,
          params(storeId),
        );
        const snapshot: StoreStockSnapshot = {
          products: products.map((r) => ({ productId: r.id, onHand: r.on_hand })),
          holds: holds.map(toEntry),
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
      return inPgTransaction(on, async (client) => {
        const rows = await runStatement<{ on_hand: number; store_id: string }>(
          client,
          `SELECT on_hand, store_id::text AS store_id FROM p_product WHERE id = $1::uuid FOR UPDATE`,
          params(productId),
        );
        const row = rows[0];
        if (!row || row.store_id !== storeId) return { found: false } as const;
        const { write, result } = await apply(onHand - row.on_hand);
        if (write) {
          await runCount(client, `UPDATE p_product SET on_hand = $2, updated_at = now() WHERE id = $1::uuid`, params(productId, onHand));
        }
        return { found: true, result } as const;
      });
    },
  };
}
