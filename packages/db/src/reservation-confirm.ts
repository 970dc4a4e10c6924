import type { SqlParams } from "./sql-statement.ts";

/**
 * The durable half of a sale as CTEs: the log row RESERVED -> CONFIRMED, and on_hand lowered
 * by the products that update returned, so on_hand moves only with the status change (a
 * repeat finds no RESERVED row and changes nothing). The products are locked in id order
 * before any is updated (the count forces the whole locking scan first), so concurrent sales
 * of overlapping products queue instead of deadlocking. `gate`: only when that CTE has a row.
 */
export function confirmReservationCtes(p: SqlParams, reservationId: string, gate: string | null): string[] {
  const gated = gate ? ` AND EXISTS (SELECT 1 FROM ${gate})` : "";
  return [
    `stock_confirm AS (UPDATE p_stock_reservation_log SET status = 'CONFIRMED', updated_at = now()
       WHERE reservation_id = ${p.add(reservationId, "text")} AND status = 'RESERVED'${gated}
       RETURNING products)`,
    `stock_lines AS (SELECT x."productId" AS product_id, sum(x.quantity)::int AS quantity
       FROM stock_confirm c, jsonb_to_recordset(c.products) AS x("productId" uuid, quantity int)
       GROUP BY x."productId")`,
    `stock_locked AS (SELECT id FROM p_product WHERE id IN (SELECT product_id FROM stock_lines) ORDER BY id FOR UPDATE)`,
    `stock_sold AS (UPDATE p_product p SET on_hand = p.on_hand - l.quantity, updated_at = now()
       FROM stock_lines l
       WHERE p.id = l.product_id AND (SELECT count(*) FROM stock_locked) > 0
       RETURNING p.id)`,
  ];
}
