// An order reaches its resting status in one commit; the stock change that follows it (a
// timeout's or cancel's release, a confirm) comes a moment later, or, after a kill -9 between
// the two, when the stalled job is delivered again or the sweep runs. So does the refund of a
// capture the order did not keep (a late or second PAID leaves the order as it is). Judge
// stock and refunds after that.
import pg from "pg";

/** Statuses in which a RESERVED log row is still expected (the hold is live or about to be sold). */
const HOLDING = ["PENDING", "STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED", "PAYMENT_COMPLETED"];

/** Statuses in which the order's kept capture is owed back (refunded, or failing to be: REFUND_FAILED is at rest). */
const KEPT_OWED = ["ORDER_CANCELLED", "STORE_REJECTED", "REFUND_COMPLETED"];

export async function waitForStockFollowUps(databaseUrl: string, orderIds: string[], timeoutMs: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM p_stock_reservation_log l JOIN p_order o ON o.id = l.order_id
                  WHERE l.status = 'RESERVED' AND o.id = ANY($1::uuid[]) AND NOT (o.status = ANY($2::text[])))
              + (SELECT count(*) FROM p_payment_capture c JOIN p_order o ON o.id = c.order_id
                  WHERE o.id = ANY($1::uuid[]) AND c.refund_id IS NULL AND (NOT c.kept OR o.status = ANY($3::text[]))) AS n`,
        [orderIds, HOLDING, KEPT_OWED],
      );
      const pending = Number(rows[0]?.n ?? 0);
      if (pending === 0 || Date.now() >= deadline) return pending;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}
