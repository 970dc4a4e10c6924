import { randomUUID } from "node:crypto";
import { createLogger } from "@order-flow/config";
import { pgOutbox } from "@order-flow/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lostJobsGuard } from "../src/lost-jobs-guard.ts";
import { auditTypes, count, createHarness, eventually, pay, placeOrder, statusOf, unlinkKeys, type Harness } from "./support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.cleanup();
});

/** The state Redis data loss leaves: events relayed (rows marked sent) whose jobs are gone. */
async function relayedButLost(h: Harness) {
  await h.db.prisma.outboxEvent.updateMany({ where: { sentAt: null }, data: { sentAt: new Date() } });
}

describe("jobs lost with Redis's data", () => {
  it("are sent again from the outbox, and nothing is done twice", async () => {
    const first = await placeOrder(h, { quantity: 1, onHand: 5 });
    await pay(h, first.order.id);
    await relayedButLost(h);
    // A worker on a Redis without the marker (new, or emptied) re-sends the recent events.
    await h.start({ lostJobsCheckIntervalMs: 200 });
    await eventually(() => statusOf(h, first.order.id), (s) => s === "PREPARING");

    // Now Redis loses its queues while the worker runs (a FLUSHALL drops no connection).
    // Its events are relayed (or about to be: marked sent), then the queues' keys vanish.
    const second = await placeOrder(h, { quantity: 1, onHand: 5 });
    await pay(h, second.order.id);
    await relayedButLost(h);
    await unlinkKeys(h.redis, `{${h.prefix}}*`);
    await eventually(() => statusOf(h, second.order.id), (s) => s === "PREPARING");

    for (const { order } of [first, second]) {
      const types = await auditTypes(h, order.id);
      for (const t of ["ORDER_CREATED", "PAYMENT_COMPLETED", "ORDER_CONFIRMED", "STORE_NOTIFIED"]) {
        expect(count(types, t), `${order.id} ${t}`).toBe(1);
      }
    }
    const sold = await h.db.prisma.product.findUniqueOrThrow({ where: { id: first.productId } });
    expect(sold.onHand).toBe(4);
  });
});

describe("a sent mark still in flight when Redis lost its jobs", () => {
  it("does not hide the events it marks: they are re-sent once more after it lands", async () => {
    // A harness with no worker running: nothing but the guard touches the outbox.
    const h = await createHarness();
    const { order } = await placeOrder(h, { quantity: 1, onHand: 5 });
    await relayedButLost(h);
    const guard = lostJobsGuard({
      redis: h.redis,
      outbox: pgOutbox(h.db.database),
      // A prefix whose marker is missing: this guard finds Redis emptied.
      redisPrefix: `${h.prefix}-${randomUUID()}`,
      log: createLogger({ name: "lost-jobs-test", level: "silent" }),
      onLost: async () => {},
      everyMs: 3_600_000,
      marksInFlightMs: 300,
    });
    const unsent = async () =>
      (await h.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM p_outbox_event WHERE order_id = $1 AND sent_at IS NULL", [order.id])).rows[0]!.n;
    try {
      expect(await guard.check()).toBe(true);
      const events = await unsent();
      expect(events).toBeGreaterThan(0);
      // The dispatcher of a process that enqueued into the old Redis marks its rows sent now.
      await relayedButLost(h);
      expect(await unsent()).toBe(0);
      await eventually(unsent, (n) => n === events);
    } finally {
      guard.stop();
      await h.cleanup();
    }
  });
});
