import { randomUUID } from "node:crypto";
import type { AuditRecord } from "@order-flow/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRepository } from "../src/audit-repository.ts";
import { idempotencyRepository } from "../src/idempotency-repository.ts";
import { orderRepository } from "../src/order-repository.ts";
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
      db.prisma.$transaction(async (tx) => {
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
  it("claims once, replays the stored response, and refuses a different request", async () => {
    const userId = randomUUID();
    const now = new Date();
    const claims = await Promise.all(
      [1, 2, 3].map(() => idempotencyRepository.claim(db.prisma, userId, "k1", "hash-a", now)),
    );
    expect(claims.filter((c) => c.state === "NEW")).toHaveLength(1);
    expect(claims.filter((c) => c.state === "IN_USE")).toHaveLength(2);
    await idempotencyRepository.complete(db.prisma, userId, "k1", 201, { id: "x" });
    expect(await idempotencyRepository.claim(db.prisma, userId, "k1", "hash-a", now)).toEqual({
      state: "REPLAY",
      status: 201,
      body: { id: "x" },
    });
    expect(await idempotencyRepository.claim(db.prisma, userId, "k1", "hash-b", now)).toEqual({ state: "MISMATCH" });
    // Keys are per user.
    expect(await idempotencyRepository.claim(db.prisma, randomUUID(), "k1", "hash-b", now)).toEqual({ state: "NEW" });
    // And they expire after 24 h.
    const later = new Date(now.getTime() + 24 * 3600_000 + 1);
    expect(await idempotencyRepository.claim(db.prisma, userId, "k1", "hash-b", later)).toEqual({ state: "NEW" });
  });
});
