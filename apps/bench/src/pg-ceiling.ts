// The database-alone ceiling of the lifecycle: per order, the same PostgreSQL transactions the
// system commits, statement for statement (as captured with log_statement = 'all' from one
// order's run), issued directly with `pg` and no application code around them:
//   T1 API   POST /orders   order INSERT … RETURNING, items INSERT, order SELECT (Prisma's
//                           read-back), 2 audit rows, 2 outbox rows, NOTIFY, reservation log INSERT
//   T2 API   POST /payment  conditional order UPDATE, audit, outbox, NOTIFY, payment INSERT
//   T3 API   webhook        payment SELECT, order + items SELECT, webhook-event INSERT,
//                           conditional order UPDATE, audit, outbox, NOTIFY, payment UPDATE
//   T4 worker confirm stock reservation log UPDATE … RETURNING, on_hand UPDATE per product
//   T5 worker confirm order conditional order UPDATE, audit, outbox, NOTIFY
//   T6 worker preparing     conditional order UPDATE, 2 audit rows (PREPARING, STORE_NOTIFIED)
// With `reads: true` it also issues the autocommit reads around them (17 per order: product
// lookup, order + items re-reads by the API and the handlers, the reservation log check) and one
// relay transaction (SELECT … FOR UPDATE SKIP LOCKED + UPDATE sent_at) per 25 events.
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { World } from "./world.ts";

const ORDER_COLS =
  "id, user_id, store_id, order_number, status, total_amount, reservation_id, payment_id, expires_at, confirmed_at, cancelled_at, failure_reason, refund_id, version, created_at, updated_at";
const ITEM_COLS = "id, order_id, product_id, product_name, unit_price, quantity";

function auditRow(orderId: string, type: string, now: Date): unknown[] {
  const id = randomUUID();
  return [id, orderId, id, type, `Order ${orderId} moved: ${type}.`, null, now, JSON.stringify({ actorRole: "system", from: "X", to: type })];
}

function outboxRow(orderId: string, type: string, now: Date): unknown[] {
  const id = randomUUID();
  const payload = { type, eventId: id, orderId, occurredAt: now.toISOString(), version: 1, storeId: randomUUID(), amount: 2100, items: [{ productId: randomUUID(), quantity: 1 }] };
  return [id, orderId, type, JSON.stringify(payload), now, now];
}

function values(rows: unknown[][], width: number): { sql: string; params: unknown[] } {
  const groups = rows.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(",")})`);
  return { sql: groups.join(", "), params: rows.flat() };
}

async function audit(c: pg.PoolClient, rows: unknown[][]): Promise<void> {
  const v = values(rows, 8);
  await c.query(
    `INSERT INTO p_order_audit (id, order_id, event_id, event_type, change_summary, actor_user_id, recorded_at, metadata) VALUES ${v.sql} ON CONFLICT DO NOTHING`,
    v.params,
  );
}

async function outbox(c: pg.PoolClient, rows: unknown[][]): Promise<void> {
  const v = values(rows, 6);
  await c.query(
    `INSERT INTO p_outbox_event (id, order_id, event_type, payload, available_at, created_at) VALUES ${v.sql} ON CONFLICT DO NOTHING`,
    v.params,
  );
  await c.query(`NOTIFY p_outbox_event`);
}

async function tx(p: pg.Pool, body: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  const c = await p.connect();
  try {
    await c.query("BEGIN");
    await body(c);
    await c.query("COMMIT");
  } catch (error) {
    await c.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    c.release();
  }
}

async function transition(c: pg.PoolClient, orderId: string, from: string, to: string, version: number): Promise<void> {
  const now = new Date();
  const r = await c.query(
    `UPDATE p_order SET status = $1, total_amount = $2, reservation_id = $3, payment_id = $4, expires_at = $5, confirmed_at = $6,
       cancelled_at = NULL, failure_reason = NULL, refund_id = NULL, version = $7, updated_at = $8
     WHERE id = $9 AND status = $10 AND version = $11`,
    [to, 2100, `r-${orderId}`, null, new Date(Date.now() + 600_000), null, version + 1, now, orderId, from, version],
  );
  if (r.rowCount !== 1) throw new Error(`ceiling: lost ${from} → ${to}`);
}

async function readOrder(p: pg.Pool | pg.PoolClient, orderId: string): Promise<void> {
  await p.query(`SELECT ${ORDER_COLS} FROM p_order WHERE id = $1 LIMIT 1 OFFSET 0`, [orderId]);
  await p.query(`SELECT ${ITEM_COLS} FROM p_order_item WHERE order_id IN ($1) OFFSET 0`, [orderId]);
}

let relayCounter = 0;

async function relay(p: pg.Pool): Promise<void> {
  await tx(p, async (c) => {
    const { rows } = await c.query<{ id: string }>(
      `SELECT id, event_type, payload, available_at FROM p_outbox_event WHERE sent_at IS NULL ORDER BY created_at LIMIT 200 FOR UPDATE SKIP LOCKED`,
    );
    if (rows.length) await c.query(`UPDATE p_outbox_event SET sent_at = now() WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
  });
}

/** One order's transactions, in the order the system commits them. */
async function oneOrder(p: pg.Pool, world: World, n: number, reads: boolean): Promise<void> {
  const storeId = world.stores[n % world.stores.length]!;
  const ofStore = world.products.filter((x) => x.storeId === storeId);
  const lines = [ofStore[n % ofStore.length]!, ofStore[(n + 1) % ofStore.length]!];
  const orderId = randomUUID();
  const reservationId = `r-${orderId}`;
  const paymentId = randomUUID();
  const now = new Date();
  const maybeRead = async (f: () => Promise<unknown>) => {
    if (reads) await f();
  };
  await maybeRead(() => p.query(`SELECT id, store_id, name, price, on_hand FROM p_product WHERE id IN ($1, $2) OFFSET 0`, lines.map((l) => l.productId)));
  // T1: the new order with everything that rides along.
  await tx(p, async (c) => {
    await c.query(
      `INSERT INTO p_order (${ORDER_COLS}) VALUES ($1,$2,$3,$4,'STOCK_RESERVED',2100,$5,NULL,$6,NULL,NULL,NULL,NULL,1,$7,$7) RETURNING ${ORDER_COLS}`,
      [orderId, randomUUID(), storeId, `B${n}-${orderId.slice(0, 13)}`, reservationId, new Date(Date.now() + 600_000), now],
    );
    const items = values(lines.map((l) => [randomUUID(), orderId, l.productId, "bench item", l.price, 1]), 6);
    await c.query(`INSERT INTO p_order_item (${ITEM_COLS}) VALUES ${items.sql}`, items.params);
    await c.query(`SELECT ${ORDER_COLS} FROM p_order WHERE id = $1 LIMIT 1 OFFSET 0`, [orderId]);
    await audit(c, [auditRow(orderId, "ORDER_CREATED", now), auditRow(orderId, "STOCK_RESERVED", now)]);
    await outbox(c, [outboxRow(orderId, "OrderCreated", now), outboxRow(orderId, "StockReserved", now)]);
    await c.query(
      `INSERT INTO p_stock_reservation_log (id, reservation_id, order_id, store_id, products, status, expires_at, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,'RESERVED',$6,$7,$7) RETURNING id`,
      [randomUUID(), reservationId, orderId, storeId, JSON.stringify(lines.map((l) => ({ productId: l.productId, quantity: 1 }))), new Date(Date.now() + 600_000), now],
    );
  });
  await maybeRead(() => readOrder(p, orderId)); // OrderCreated handler
  await maybeRead(() => p.query(`SELECT id, status FROM p_stock_reservation_log WHERE reservation_id = $1 LIMIT 1 OFFSET 0`, [reservationId]));
  await maybeRead(() => readOrder(p, orderId)); // POST /payment: visibleOrder
  await maybeRead(() => readOrder(p, orderId)); // change(): visibleOrder again
  // T2: payment requested.
  await tx(p, async (c) => {
    await transition(c, orderId, "STOCK_RESERVED", "PAYMENT_PENDING", 1);
    await audit(c, [auditRow(orderId, "PAYMENT_REQUESTED", now)]);
    await outbox(c, [outboxRow(orderId, "PaymentRequested", now)]);
    await c.query(`INSERT INTO p_payment (id, order_id, amount, status, created_at, updated_at) VALUES ($1,$2,2100,'REQUESTED',$3,$3) RETURNING id, order_id, amount, status`, [paymentId, orderId, now]);
  });
  await maybeRead(() => readOrder(p, orderId)); // PaymentRequested handler
  // T3: the PAID webhook accepted.
  await tx(p, async (c) => {
    await c.query(`SELECT id, order_id, amount, status, pg_transaction_id, refund_id, created_at, updated_at FROM p_payment WHERE id = $1 LIMIT 1 OFFSET 0`, [paymentId]);
    await readOrder(c, orderId);
    const eventId = randomUUID();
    await c.query(
      `INSERT INTO p_payment_webhook_event (event_id, payment_id, order_id, status, amount, outcome, received_at, payload) VALUES ($1,$2,$3,'PAID',2100,'PAYMENT_COMPLETED',$4,$5) ON CONFLICT DO NOTHING`,
      [eventId, paymentId, orderId, now, JSON.stringify({ eventId, paymentId, orderId, status: "PAID", amount: 2100, pgTransactionId: `pg_${eventId}` })],
    );
    await transition(c, orderId, "PAYMENT_PENDING", "PAYMENT_COMPLETED", 2);
    await audit(c, [auditRow(orderId, "PAYMENT_COMPLETED", now)]);
    await outbox(c, [outboxRow(orderId, "PaymentCompleted", now)]);
    await c.query(`UPDATE p_payment SET status = 'PAID', updated_at = $1, pg_transaction_id = $2 WHERE id = $3 AND status IN ('REQUESTED')`, [now, `pg_${paymentId}`, paymentId]);
  });
  await maybeRead(() => readOrder(p, orderId)); // PaymentCompleted handler
  // T4: the hold becomes a sale in PostgreSQL.
  await tx(p, async (c) => {
    const { rows } = await c.query<{ products: { productId: string; quantity: number }[] }>(
      `UPDATE p_stock_reservation_log SET status = 'CONFIRMED', updated_at = now() WHERE reservation_id = $1 AND status = 'RESERVED' RETURNING products`,
      [reservationId],
    );
    const products = [...(rows[0]?.products ?? [])].sort((a, b) => (a.productId < b.productId ? -1 : 1));
    for (const l of products) {
      await c.query(`UPDATE p_product SET on_hand = on_hand + $2, updated_at = now() WHERE id = $1::uuid`, [l.productId, -l.quantity]);
    }
  });
  await maybeRead(() => readOrder(p, orderId)); // transitionOrder re-read
  // T5: ORDER_CONFIRMED.
  await tx(p, async (c) => {
    await transition(c, orderId, "PAYMENT_COMPLETED", "ORDER_CONFIRMED", 3);
    await audit(c, [auditRow(orderId, "ORDER_CONFIRMED", now)]);
    await outbox(c, [outboxRow(orderId, "OrderConfirmed", now)]);
  });
  await maybeRead(() => readOrder(p, orderId)); // OrderConfirmed handler
  await maybeRead(() => readOrder(p, orderId)); // transitionOrder re-read
  // T6: PREPARING with the store-notified entry.
  await tx(p, async (c) => {
    await transition(c, orderId, "ORDER_CONFIRMED", "PREPARING", 4);
    await audit(c, [auditRow(orderId, "PREPARING", now)]);
    await audit(c, [auditRow(orderId, "STORE_NOTIFIED", now)]);
  });
  // 5 events per order, relayed in batches (25 events ≈ one relay pass under load).
  if (reads && ++relayCounter % 5 === 0) await relay(p);
}

export type CeilingResult = { orders: number; seconds: number; ordersPerSecond: number; transactionsPerSecond: number };

/** `orders` orders' transactions with `concurrency` orders in flight (one connection each). */
export async function runCeiling(
  databaseUrl: string,
  world: World,
  options: { orders: number; concurrency: number; reads: boolean },
): Promise<CeilingResult> {
  const p = new pg.Pool({ connectionString: databaseUrl, max: options.concurrency });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.orders) await oneOrder(p, world, next++, options.reads);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      orders: options.orders,
      seconds,
      ordersPerSecond: options.orders / seconds,
      transactionsPerSecond: (options.orders * 6) / seconds,
    };
  } finally {
    await p.end();
  }
}
