import { randomUUID } from "node:crypto";
import type { CommittedEvents, DomainEvent, OutboxEvent } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderWrite } from "../src/order-write.ts";
import { pgOutbox } from "../src/outbox.ts";
import { newOrder } from "./support/orders.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** A new order with one event, written as the API writes it. */
async function orderWithEvent() {
  const order = newOrder();
  const event = { type: "OrderCreated", eventId: randomUUID(), orderId: order.id, occurredAt: new Date().toISOString() } as unknown as DomainEvent;
  await new OrderWrite().insertOrder(order).events([event]).run(db.database);
  return { order, event };
}

async function sentAt(eventId: string): Promise<Date | null> {
  const { rows } = await db.pool.query<{ sent_at: Date | null }>(`SELECT sent_at FROM p_outbox_event WHERE id = $1`, [eventId]);
  return rows[0]?.sent_at ?? null;
}

describe("pgOutbox", () => {
  it("hands each commit's events to the sink, until the sink is taken away", async () => {
    const outbox = pgOutbox(db.database);
    const committed: CommittedEvents[] = [];
    outbox.onCommit((c) => committed.push(c));
    try {
      const { order, event } = await orderWithEvent();
      expect(committed).toEqual([{ events: [event], availableAt: null, orderNumber: order.orderNumber, traceContext: null }]);
    } finally {
      outbox.onCommit(null);
    }
    await orderWithEvent();
    expect(committed).toHaveLength(1);
  });

  it("relays what is past the grace, marks it sent, and leaves it unsent when publishing fails", async () => {
    const outbox = pgOutbox(db.database);
    const { order, event } = await orderWithEvent();
    const published: OutboxEvent[] = [];
    const publish = async (events: OutboxEvent[]) => void published.push(...events);

    // Within the grace the committing process's dispatcher has it: the relay leaves it alone.
    await outbox.relayBatch(1_000, publish, 3_600_000);
    expect(published.map((e) => e.id)).not.toContain(event.eventId);

    await expect(
      outbox.relayBatch(1_000, async () => {
        throw new Error("Redis down");
      }),
    ).rejects.toThrow("Redis down");
    expect(await sentAt(event.eventId)).toBeNull();

    await outbox.relayBatch(1_000, publish, 0);
    const relayed = published.find((e) => e.id === event.eventId);
    expect(relayed).toMatchObject({ eventType: "OrderCreated", payload: event, orderNumber: order.orderNumber, traceContext: null });
    expect(await sentAt(event.eventId)).not.toBeNull();
  });

  it("runs one relay pass at a time", async () => {
    const outbox = pgOutbox(db.database);
    const { event } = await orderWithEvent();
    let release!: () => void;
    let started!: () => void;
    const publishing = new Promise<void>((resolve) => (started = resolve));
    const first = outbox.relayBatch(1_000, async () => {
      started();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await publishing;
    let secondPublished = false;
    expect(await outbox.relayBatch(1_000, async () => void (secondPublished = true))).toBe(0);
    expect(secondPublished).toBe(false);
    release();
    expect(await first).toBeGreaterThanOrEqual(1);
    expect(await sentAt(event.eventId)).not.toBeNull();
  });

  it("finds an order's trace in its first traced event", async () => {
    const outbox = pgOutbox(db.database);
    const { order } = await orderWithEvent();
    expect(await outbox.orderTraceContext(order.id)).toBeNull();
    const trace = JSON.stringify({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    await db.pool.query(`UPDATE p_outbox_event SET trace_context = $1 WHERE order_id = $2`, [trace, order.id]);
    expect(await outbox.orderTraceContext(order.id)).toBe(trace);
  });
});
