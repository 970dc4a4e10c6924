// The database-alone ceiling of the lifecycle: per order, the same PostgreSQL write
// transactions the system commits, built by the same code (packages/db OrderWrite, from the
// domain's own transitions) and issued directly on a pg pool, with no HTTP, Redis, BullMQ or
// handler code around them:
//   T1 API   POST /orders   one statement: order + items + 2 audit + 2 outbox + reservation log
//   T2 API   POST /payment  one statement: conditional order UPDATE + audit + outbox + payment INSERT
//   T3 API   webhook        one statement: order row locked at its version, webhook-event INSERT,
//                           conditional order UPDATE, audit, outbox, payment UPDATE
//   T4 worker confirm       one statement: conditional order UPDATE + audit + outbox, and the
//                           sale's durable half (reservation log CONFIRMED, on_hand lowered)
//   T5 worker preparing     one statement: conditional order UPDATE + 2 audit rows (PREPARING, STORE_NOTIFIED)
// No statement carries a NOTIFY: the committing process dispatches its events itself.
// With `idempotencyKey: true` (the bench's default, as the system runs then) T1 also stores the
// Idempotency-Key's answer, its gate (the in-flight claim is in Redis, not in PostgreSQL).
// With `reads: true` it also issues the reads the system still makes around them: 1 per order,
// the webhook's one query of payment + order + capture (the catalog is kept in memory, POST
// /payment decides on the copy its process just wrote, the handlers write from the event), and
// the dispatchers' sent mark (one UPDATE per 25 events).
import { randomUUID } from "node:crypto";
import { createDatabase, OrderWrite, pgOutbox, readWebhookSubject, type Database } from "@order-flow/db";
import { Order, SYSTEM_ACTOR, type Actor, type OrderState } from "@order-flow/domain";
import type { World } from "./world.ts";

let markCounter = 0;

/** The relay's pass over the oldest unsent rows, publishing nowhere (SKIP LOCKED: marks in flight never overlap). */
async function markSent(db: Database): Promise<void> {
  await pgOutbox(db).relayBatch(200, async () => {});
}

/** One order's transactions, in the order the system commits them. */
async function oneOrder(db: Database, world: World, n: number, reads: boolean, idempotencyKey: boolean): Promise<void> {
  const storeId = world.stores[n % world.stores.length]!;
  const ofStore = world.products.filter((x) => x.storeId === storeId);
  const lines = [ofStore[n % ofStore.length]!, ofStore[(n + 1) % ofStore.length]!];
  const orderId = randomUUID();
  const reservationId = `${storeId}.${randomUUID()}`;
  const paymentId = randomUUID();
  const customer: Actor = { role: "customer", userId: randomUUID(), storeId: null };
  const ctx = (actor: Actor) => ({ actor, now: new Date(), newId: randomUUID });
  const expiresAt = new Date(Date.now() + 600_000);
  const maybeRead = async (f: () => Promise<unknown>) => {
    if (reads) await f();
  };
  const write = async (w: OrderWrite) => {
    if (!(await w.run(db)).passed) throw new Error("ceiling: a transition lost");
  };
  const step = (order: OrderState, result: ReturnType<typeof Order.confirm>) =>
    new OrderWrite().transition(order, result.order).audit(result.audit).events(result.events);

  // T1: the new order with everything that rides along.
  const created = Order.create(
    {
      id: orderId,
      orderNumber: `B${n}-${orderId.slice(0, 13)}`,
      userId: customer.userId!,
      storeId,
      expiresAt,
      items: lines.map((l) => ({ productId: l.productId, productName: "bench item", unitPrice: l.price, quantity: 1 })),
    },
    ctx(customer),
  );
  const reserved = Order.reserveStock(created.order, ctx(SYSTEM_ACTOR), { reservationId, expiresAt });
  const t1 = new OrderWrite();
  if (idempotencyKey) {
    t1.completeIdempotencyClaim({
      userId: customer.userId!,
      key: `bench-order-${n}`,
      owner: randomUUID(),
      requestHash: `hash-${n}`,
      at: new Date(),
      status: 201,
      body: { id: orderId },
    });
  }
  await write(
    t1
      .insertOrder(reserved.order)
      .audit([...created.audit, ...reserved.audit])
      .events([...created.events, ...reserved.events])
      .insertReservationLog({
        id: randomUUID(),
        reservationId,
        orderId,
        storeId,
        products: lines.map((l) => ({ productId: l.productId, quantity: 1 })),
        expiresAt,
        createdAt: new Date(),
      }),
  );
  // T2: payment requested.
  const requested = Order.requestPayment(reserved.order, ctx(customer), { paymentId });
  await write(
    step(reserved.order, requested).insertPayment({ id: paymentId, orderId, amount: requested.order.totalAmount, now: requested.order.updatedAt }),
  );
  // T3: the PAID webhook accepted.
  await maybeRead(() => readWebhookSubject(db, { paymentId, orderId, pgTransactionId: `pg_${paymentId}` }));
  const now = new Date();
  const paid = Order.completePayment(requested.order, ctx(SYSTEM_ACTOR), { paymentId, amount: requested.order.totalAmount, pgTransactionId: `pg_${paymentId}` });
  const eventId = randomUUID();
  await write(
    new OrderWrite()
      .transition(requested.order, paid.order, {
        onlyWithWebhookRecord: {
          eventId,
          paymentId,
          orderId,
          status: "PAID",
          amount: paid.order.totalAmount,
          outcome: "PAYMENT_COMPLETED",
          receivedAt: now,
          payload: { eventId, paymentId, orderId, status: "PAID", amount: paid.order.totalAmount, pgTransactionId: `pg_${paymentId}` },
        },
      })
      .audit(paid.audit)
      .events(paid.events)
      .changePaymentStatus({ id: paymentId, from: ["REQUESTED"], to: "PAID", pgTransactionId: `pg_${paymentId}`, now }),
  );
  // T4: ORDER_CONFIRMED, and the hold becomes a sale in PostgreSQL in the same statement.
  const confirmed = Order.confirm(paid.order, ctx(SYSTEM_ACTOR));
  await write(step(paid.order, confirmed).confirmReservation(reservationId));
  // T5: PREPARING with the store-notified entry.
  const preparing = Order.startPreparing(confirmed.order, ctx(SYSTEM_ACTOR));
  await write(
    step(confirmed.order, preparing).audit([
      {
        eventId: randomUUID(),
        orderId,
        eventType: "STORE_NOTIFIED",
        changeSummary: `Store ${storeId} was notified.`,
        actorUserId: null,
        recordedAt: new Date(),
        metadata: { actorRole: "system", storeId },
      },
    ]),
  );
  // 5 events per order, marked sent in batches (25 events ≈ one sent mark under load).
  if (reads && ++markCounter % 5 === 0) await markSent(db);
}

export type CeilingResult = { orders: number; seconds: number; ordersPerSecond: number; transactionsPerSecond: number };

/** `orders` orders' transactions with `concurrency` orders in flight (one connection each). */
export async function runCeiling(
  databaseUrl: string,
  world: World,
  options: { orders: number; concurrency: number; reads: boolean; idempotencyKey: boolean },
): Promise<CeilingResult> {
  const db = createDatabase({ databaseUrl, poolSize: options.concurrency });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.orders) await oneOrder(db, world, next++, options.reads, options.idempotencyKey);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      orders: options.orders,
      seconds,
      ordersPerSecond: options.orders / seconds,
      transactionsPerSecond: (options.orders * 5) / seconds,
    };
  } finally {
    await db.close();
  }
}
