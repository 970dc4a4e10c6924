import { randomUUID } from "node:crypto";
import type { AuditRecord, OrderState } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRepository } from "../src/audit-repository.ts";
import { ABANDONED_AFTER_MS, IDEMPOTENCY_TTL_MS, idempotencyRepository } from "../src/idempotency-repository.ts";
import { orderRepository } from "../src/order-repository.ts";
import { pgOrderStore } from "../src/order-store.ts";
import { OrderWrite } from "../src/order-write.ts";
import { inPgTransaction } from "../src/pg-transaction.ts";
import { newOrder } from "./support/orders.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** The bare conditional write of a new state over `previous` (no audit, no events). */
const saveState = (previous: OrderState, order: OrderState) =>
  pgOrderStore(db.database).save({ previous, order, audit: [], events: [] });

function audit(orderId: string, eventId = randomUUID()): AuditRecord {
  return {
    eventId,
    orderId,
    eventType: "ORDER_CREATED",
    changeSummary: "Order created.",
    actorUserId: null,
    recordedAt: new Date(),
    metadata: { note: "test" },
  };
}

describe("order repository", () => {
  it("stores an order with its items and reads it back", async () => {
    const order = newOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    expect(await orderRepository.findById(db.database, order.id)).toEqual(order);
  });

  it("lets exactly one of two concurrent transitions from the same state win", async () => {
    const order = newOrder();
    await new OrderWrite().insertOrder(order).run(db.database);
    const paid = { ...order, status: "PAYMENT_PENDING" as const, version: 1 };
    const cancelled = { ...order, status: "ORDER_CANCELLED" as const, version: 1, failureReason: "x" };
    const outcomes = await Promise.all([
      saveState(order, paid),
      saveState(order, cancelled),
    ]);
    expect(outcomes.sort()).toEqual(["APPLIED", "LOST_RACE"]);
    const stored = await orderRepository.findById(db.database, order.id);
    expect(stored?.version).toBe(1);
    expect(["PAYMENT_PENDING", "ORDER_CANCELLED"]).toContain(stored?.status);
  });

  it("tells a missing order apart from a lost race", async () => {
    const ghost = newOrder();
    expect(await saveState(ghost, { ...ghost, version: 1 })).toBe("NOT_FOUND");
  });

  it("pages newest first with no gaps or repeats, even across equal timestamps and later inserts", async () => {
    const userId = randomUUID();
    const at = new Date("2026-11-20T10:00:00.000Z");
    const ids = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const order = newOrder({ userId, createdAt: i < 15 ? at : new Date(at.getTime() - i * 1000) });
      ids.add(order.id);
      await new OrderWrite().insertOrder(order).run(db.database);
    }
    const viewer = { role: "customer" as const, userId, storeId: null };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await orderRepository.list(db.database, { viewer, limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((o) => o.id));
      // Newer orders arriving mid-listing must not disturb the pages already being read.
      if (pages === 1) await new OrderWrite().insertOrder(newOrder({ userId })).run(db.database);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(ids);
    expect(pages).toBe(7);
  });

  it("shows a customer only their orders and a store only its own", async () => {
    const mine = newOrder();
    const theirs = newOrder();
    await new OrderWrite().insertOrder(mine).run(db.database);
    await new OrderWrite().insertOrder(theirs).run(db.database);
    const me = { role: "customer" as const, userId: mine.userId, storeId: null };
    const store = { role: "store" as const, userId: randomUUID(), storeId: theirs.storeId };
    expect(await orderRepository.findForViewer(db.database, mine.id, me)).not.toBeNull();
    expect(await orderRepository.findForViewer(db.database, theirs.id, me)).toBeNull();
    expect(await orderRepository.findForViewer(db.database, theirs.id, store)).not.toBeNull();
    expect(await orderRepository.findForViewer(db.database, mine.id, store)).toBeNull();
    const listed = await orderRepository.list(db.database, { viewer: me, limit: 100 });
    expect(listed.items.map((o) => o.id)).toEqual([mine.id]);
  });

  it("finds unpaid orders past their deadline, and only those", async () => {
    const past = new Date(Date.now() - 60_000);
    const expired = newOrder({ expiresAt: past, status: "PAYMENT_PENDING" });
    const paid = newOrder({ expiresAt: past, status: "PAYMENT_COMPLETED" });
    const future = newOrder();
    for (const o of [expired, paid, future]) await new OrderWrite().insertOrder(o).run(db.database);
    const found = await orderRepository.findExpiredOrders(db.database, new Date(), 1000);
    const ids = found.map((o) => o.id);
    expect(ids).toContain(expired.id);
    expect(ids).not.toContain(paid.id);
    expect(ids).not.toContain(future.id);
  });
});

describe("audit repository", () => {
  it("appends an event id once, however often it is retried", async () => {
    const order = newOrder();
    const record = audit(order.id);
    expect(await auditRepository.append(db.database, [record])).toBe(1);
    expect(await auditRepository.append(db.database, [record])).toBe(0);
    await Promise.all([1, 2, 3].map(() => auditRepository.append(db.database, [record])));
    expect(await auditRepository.listByOrder(db.database, order.id)).toHaveLength(1);
  });

  it("commits an independent entry even when the caller's transaction rolls back", async () => {
    const order = newOrder();
    await expect(
      inPgTransaction(db.database, async (tx) => {
        await auditRepository.append(tx, [audit(order.id)]);
        await auditRepository.appendIndependent(db.database, [{ ...audit(order.id), metadata: { note: "independent" } }]);
        throw new Error("the business step failed");
      }),
    ).rejects.toThrow("the business step failed");
    const trail = await auditRepository.listByOrder(db.database, order.id);
    expect(trail).toHaveLength(1);
    expect(trail[0]?.metadata).toEqual({ note: "independent" });
  });
});

describe("idempotency keys", () => {
  /** The order's statement, storing `body` as the answer to (userId, key) with the order. */
  function orderAnswering(userId: string, key: string, options: { hash?: string; at?: Date; order?: ReturnType<typeof newOrder> } = {}) {
    const order = options.order ?? newOrder({ userId });
    const body = { id: order.id };
    const write = new OrderWrite()
      .completeIdempotencyClaim({
        userId,
        key,
        owner: randomUUID(),
        requestHash: options.hash ?? "h",
        at: options.at ?? new Date(),
        status: 201,
        body,
      })
      .insertOrder(order)
      .audit([audit(order.id)]);
    return { order, body, run: () => write.run(db.database) };
  }

  async function ordersOf(userId: string): Promise<string[]> {
    const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM p_order WHERE user_id = $1", [userId]);
    return rows.map((r) => r.id);
  }

  it("stores the first answer with its order; a twin's statement writes nothing", async () => {
    const userId = randomUUID();
    const first = orderAnswering(userId, "k1");
    expect((await first.run()).passed).toBe(true);
    const twin = orderAnswering(userId, "k1");
    expect((await twin.run()).passed).toBe(false);
    expect(await orderRepository.findById(db.database, twin.order.id)).toBeNull();
    expect(await auditRepository.listByOrder(db.database, twin.order.id)).toEqual([]);
    expect(await ordersOf(userId)).toEqual([first.order.id]);
    expect(await idempotencyRepository.find(db.database, userId, "k1", new Date())).toEqual({
      requestHash: "h",
      status: 201,
      body: first.body,
    });
    // Keys are per user.
    expect(await idempotencyRepository.find(db.database, randomUUID(), "k1", new Date())).toBeNull();
  });

  it("makes one order per key however many statements race for it", async () => {
    const userId = randomUUID();
    const keys = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    await Promise.all(
      keys.map(async (key) => {
        const results = await Promise.all([1, 2, 3].map(() => orderAnswering(userId, key).run()));
        expect(results.filter((r) => r.passed)).toHaveLength(1);
      }),
    );
    const orders = await ordersOf(userId);
    expect(orders).toHaveLength(keys.length);
    for (const key of keys) {
      const stored = await idempotencyRepository.find(db.database, userId, key, new Date());
      expect(orders).toContain((stored?.body as { id: string }).id);
    }
  });

  it("replaces an answer past its 24 h, and a claim without an answer left abandoned", async () => {
    const userId = randomUUID();
    const t0 = new Date(Date.now() - IDEMPOTENCY_TTL_MS - 1_000);
    expect((await orderAnswering(userId, "old", { at: t0 }).run()).passed).toBe(true);
    expect(await idempotencyRepository.find(db.database, userId, "old", new Date())).toBeNull();
    const fresh = orderAnswering(userId, "old", { hash: "other" });
    expect((await fresh.run()).passed).toBe(true);
    expect((await idempotencyRepository.find(db.database, userId, "old", new Date()))?.requestHash).toBe("other");

    // A claim row of the previous version (no answer), young and then abandoned.
    const claimed = async (key: string, at: Date) =>
      db.pool.query(
        `INSERT INTO p_idempotency_key (user_id, key, request_hash, owner_token, created_at, expires_at)
         VALUES ($1, $2, 'h', gen_random_uuid(), $3, $3::timestamptz + interval '1 day')`,
        [userId, key, at],
      );
    await claimed("young", new Date());
    expect((await orderAnswering(userId, "young").run()).passed).toBe(false);
    await claimed("abandoned", new Date(Date.now() - ABANDONED_AFTER_MS - 1_000));
    expect((await orderAnswering(userId, "abandoned").run()).passed).toBe(true);
  });

  it("records an answer on its own once, and purges expired ones", async () => {
    const userId = randomUUID();
    const answer = { userId, key: "own", owner: randomUUID(), requestHash: "h", at: new Date(), status: 202, body: { ok: true } };
    expect(await idempotencyRepository.record(db.database, answer)).toBe(true);
    expect(await idempotencyRepository.record(db.database, { ...answer, body: { ok: false } })).toBe(false);
    expect((await idempotencyRepository.find(db.database, userId, "own", new Date()))?.body).toEqual({ ok: true });
    const later = new Date(Date.now() + IDEMPOTENCY_TTL_MS + 1_000);
    expect(await idempotencyRepository.purgeExpired(db.database, later)).toBeGreaterThanOrEqual(1);
    expect(await idempotencyRepository.find(db.database, userId, "own", new Date())).toBeNull();
  });
});
