import { randomUUID } from "node:crypto";
import type { AuditRecord } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRepository } from "../src/audit-repository.ts";
import { ABANDONED_AFTER_MS, idempotencyRepository, type IdempotencyClaim } from "../src/idempotency-repository.ts";
import { orderRepository } from "../src/order-repository.ts";
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
    await orderRepository.create(db.prisma, order);
    expect(await orderRepository.findById(db.prisma, order.id)).toEqual(order);
  });

  it("lets exactly one of two concurrent transitions from the same state win", async () => {
    const order = newOrder();
    await orderRepository.create(db.prisma, order);
    const paid = { ...order, status: "PAYMENT_PENDING" as const, version: 1 };
    const cancelled = { ...order, status: "ORDER_CANCELLED" as const, version: 1, failureReason: "x" };
    const outcomes = await Promise.all([
      orderRepository.transition(db.prisma, order, paid),
      orderRepository.transition(db.prisma, order, cancelled),
    ]);
    expect(outcomes.sort()).toEqual(["APPLIED", "LOST_RACE"]);
    const stored = await orderRepository.findById(db.prisma, order.id);
    expect(stored?.version).toBe(1);
    expect(["PAYMENT_PENDING", "ORDER_CANCELLED"]).toContain(stored?.status);
  });

  it("tells a missing order apart from a lost race", async () => {
    const ghost = newOrder();
    expect(await orderRepository.transition(db.prisma, ghost, { ...ghost, version: 1 })).toBe("NOT_FOUND");
  });

  it("pages newest first with no gaps or repeats, even across equal timestamps and later inserts", async () => {
    const userId = randomUUID();
    const at = new Date("2026-11-20T10:00:00.000Z");
    const ids = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const order = newOrder({ userId, createdAt: i < 15 ? at : new Date(at.getTime() - i * 1000) });
      ids.add(order.id);
      await orderRepository.create(db.prisma, order);
    }
    const viewer = { role: "customer" as const, userId, storeId: null };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await orderRepository.list(db.prisma, { viewer, limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((o) => o.id));
      // Newer orders arriving mid-listing must not disturb the pages already being read.
      if (pages === 1) await orderRepository.create(db.prisma, newOrder({ userId }));
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
    await orderRepository.create(db.prisma, mine);
    await orderRepository.create(db.prisma, theirs);
    const me = { role: "customer" as const, userId: mine.userId, storeId: null };
    const store = { role: "store" as const, userId: randomUUID(), storeId: theirs.storeId };
    expect(await orderRepository.findForViewer(db.prisma, mine.id, me)).not.toBeNull();
    expect(await orderRepository.findForViewer(db.prisma, theirs.id, me)).toBeNull();
    expect(await orderRepository.findForViewer(db.prisma, theirs.id, store)).not.toBeNull();
    expect(await orderRepository.findForViewer(db.prisma, mine.id, store)).toBeNull();
    const listed = await orderRepository.list(db.prisma, { viewer: me, limit: 100 });
    expect(listed.items.map((o) => o.id)).toEqual([mine.id]);
  });

  it("finds unpaid orders past their deadline, and only those", async () => {
    const past = new Date(Date.now() - 60_000);
    const expired = newOrder({ expiresAt: past, status: "PAYMENT_PENDING" });
    const paid = newOrder({ expiresAt: past, status: "PAYMENT_COMPLETED" });
    const future = newOrder();
    for (const o of [expired, paid, future]) await orderRepository.create(db.prisma, o);
    const found = await orderRepository.findExpiredOrders(db.prisma, new Date(), 1000);
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
    expect(await auditRepository.append(db.prisma, [record])).toBe(1);
    expect(await auditRepository.append(db.prisma, [record])).toBe(0);
    await Promise.all([1, 2, 3].map(() => auditRepository.append(db.prisma, [record])));
    expect(await auditRepository.listByOrder(db.prisma, order.id)).toHaveLength(1);
  });

  it("commits an independent entry even when the caller's transaction rolls back", async () => {
    const order = newOrder();
    await expect(
      inPgTransaction(db.prisma, async (tx) => {
        await auditRepository.append(tx, [audit(order.id)]);
        await auditRepository.appendIndependent(db.prisma, [{ ...audit(order.id), metadata: { note: "independent" } }]);
        throw new Error("the business step failed");
      }),
    ).rejects.toThrow("the business step failed");
    const trail = await auditRepository.listByOrder(db.prisma, order.id);
    expect(trail).toHaveLength(1);
    expect(trail[0]?.metadata).toEqual({ note: "independent" });
  });
});

describe("idempotency keys", () => {
  /** The order's statement, storing `body` as the answer while `owner` holds the claim. */
  function orderAnswering(userId: string, key: string, owner: string, order = newOrder({ userId })) {
    const body = { id: order.id };
    const write = new OrderWrite()
      .completeIdempotencyClaim({ userId, key, owner, status: 201, body })
      .insertOrder(order)
      .audit([audit(order.id)]);
    return { order, body, run: () => write.run(db.prisma.$pool) };
  }

  async function ordersOf(userId: string): Promise<string[]> {
    const { rows } = await db.prisma.$pool.query<{ id: string }>("SELECT id FROM p_order WHERE user_id = $1", [userId]);
    return rows.map((r) => r.id);
  }

  function owned(claim: IdempotencyClaim): string {
    if (claim.state !== "NEW") throw new Error(`expected a new claim, got ${claim.state}`);
    return claim.owner;
  }

  it("claims once, replays the stored response, and refuses a different request", async () => {
    const userId = randomUUID();
    const now = new Date();
    const claims = await Promise.all(
      [1, 2, 3].map(() => idempotencyRepository.claim(db.prisma, userId, "k1", "hash-a", now)),
    );
    expect(claims.filter((c) => c.state === "NEW")).toHaveLength(1);
    expect(claims.filter((c) => c.state === "IN_USE")).toHaveLength(2);
    const placed = orderAnswering(userId, "k1", owned(claims.find((c) => c.state === "NEW")!));
    expect((await placed.run()).passed).toBe(true);
    expect(await idempotencyRepository.claim(db.prisma, userId, "k1", "hash-a", now)).toEqual({
      state: "REPLAY",
      status: 201,
      body: placed.body,
    });
    expect(await idempotencyRepository.claim(db.prisma, userId, "k1", "hash-b", now)).toEqual({ state: "MISMATCH" });
    // Keys are per user.
    expect((await idempotencyRepository.claim(db.prisma, randomUUID(), "k1", "hash-b", now)).state).toBe("NEW");
    // And they expire after 24 h.
    const later = new Date(now.getTime() + 24 * 3600_000 + 1);
    expect((await idempotencyRepository.claim(db.prisma, userId, "k1", "hash-b", later)).state).toBe("NEW");
  });

  it("lets a twin take over a claim left without a response, and then the first request makes no order", async () => {
    const userId = randomUUID();
    const t0 = new Date();
    const first = owned(await idempotencyRepository.claim(db.prisma, userId, "k", "h", t0));
    // Not yet abandoned: the twin waits.
    const early = new Date(t0.getTime() + ABANDONED_AFTER_MS - 1);
    expect(await idempotencyRepository.claim(db.prisma, userId, "k", "h", early)).toEqual({ state: "IN_USE" });
    const twin = owned(await idempotencyRepository.claim(db.prisma, userId, "k", "h", new Date(t0.getTime() + ABANDONED_AFTER_MS)));
    expect(twin).not.toBe(first);

    // The first request was only slow: its statement finds the claim no longer its own.
    const late = orderAnswering(userId, "k", first);
    expect((await late.run()).passed).toBe(false);
    expect(await orderRepository.findById(db.prisma, late.order.id)).toBeNull();
    expect(await auditRepository.listByOrder(db.prisma, late.order.id)).toEqual([]);
    // Nor may it forget the twin's claim.
    await idempotencyRepository.release(db.prisma, userId, "k", first);
    expect(await idempotencyRepository.find(db.prisma, userId, "k", "h")).toEqual({ state: "IN_USE" });

    const winner = orderAnswering(userId, "k", twin);
    expect((await winner.run()).passed).toBe(true);
    expect(await ordersOf(userId)).toEqual([winner.order.id]);
    expect(await idempotencyRepository.find(db.prisma, userId, "k", "h")).toEqual({ state: "REPLAY", status: 201, body: winner.body });
    // A stored response is never replaced, not even by its own request writing again.
    expect((await orderAnswering(userId, "k", twin).run()).passed).toBe(false);
    expect(await ordersOf(userId)).toEqual([winner.order.id]);
  });

  it("takes over after the abandonment time the caller gives", async () => {
    const userId = randomUUID();
    const t0 = new Date();
    owned(await idempotencyRepository.claim(db.prisma, userId, "k", "h", t0));
    const soon = new Date(t0.getTime() + 1_000);
    expect((await idempotencyRepository.claim(db.prisma, userId, "k", "h", soon)).state).toBe("IN_USE");
    expect((await idempotencyRepository.claim(db.prisma, userId, "k", "h", soon, { abandonedAfterMs: 1_000 })).state).toBe("NEW");
  });

  it("makes one order per key however a slow request's write and a twin's takeover interleave", async () => {
    const userId = randomUUID();
    const stale = new Date(Date.now() - 2 * ABANDONED_AFTER_MS);
    const keys = Array.from({ length: 20 }, (_, i) => `race-${i}`);
    await Promise.all(
      keys.map(async (key) => {
        const first = owned(await idempotencyRepository.claim(db.prisma, userId, key, "h", stale));
        const slow = orderAnswering(userId, key, first);
        const [written, twin] = await Promise.all([
          slow.run(),
          idempotencyRepository.claim(db.prisma, userId, key, "h", new Date()),
        ]);
        // Exactly one of them holds the key: the write that stored its answer, or the twin.
        expect(written.passed).toBe(twin.state !== "NEW");
        if (twin.state === "NEW") expect((await orderAnswering(userId, key, twin.owner).run()).passed).toBe(true);
      }),
    );
    const orders = await ordersOf(userId);
    expect(orders).toHaveLength(keys.length);
    for (const key of keys) {
      const stored = await idempotencyRepository.find(db.prisma, userId, key, "h");
      expect(stored.state).toBe("REPLAY");
      expect(orders).toContain((stored as { body: { id: string } }).body.id);
    }
  });
});
