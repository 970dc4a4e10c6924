// An order reaches its resting status in one commit; the stock change that follows it (a
// timeout's or cancel's release, a confirm) comes a moment later, or, after a kill -9 between
// the two, when the stalled job is delivered again or the sweep runs. Judge stock after that.
import pg from "pg";

/** Statuses in which a RESERVED log row is still expected (the hold is live or about to be sold). */
const HOLDING = ["PENDING", "STOCK_RESERVED", "PAYMENT_PENDING", "PAYMENT_FAILED", "PAYMENT_COMPLETED"];

export async function waitForStockFollowUps(databaseUrl: string, orderIds: string[], timeoutMs: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM p_stock_reservation_log l JOIN p_order o ON o.id = l.order_id
          WHERE l.status = 'RESERVED' AND o.id = ANY($1::uuid[]) AND NOT (o.status = ANY($2::text[]))`,
        [orderIds, HOLDING],
      );
      const pending = Number(rows[0]?.n ?? 0);
      if (pending === 0 || Date.now() >= deadline) return pending;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}
