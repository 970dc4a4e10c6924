import { createHash, randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ABANDONED_AFTER_MS, idempotencyRepository } from "@order-flow/db";
import type { StockReservationService } from "@order-flow/stock";
import { createHarness, type Harness } from "./support/harness.ts";

/**
 * A stock port whose next hold, once made, waits until the test lets it go: the request
 * holding it is alive but slow (a Redis rebuild after data loss, a loaded machine).
 */
function pausableHolds(inner: StockReservationService) {
  let next: { reached: () => void; resume: Promise<void> } | null = null;
  const port: StockReservationService = {
    async holdOnly(input) {
      const held = await inner.holdOnly(input);
      const pause = next;
      next = null;
      if (pause) {
        pause.reached();
        await pause.resume;
      }
      return held;
    },
    confirmHold: (reservationId) => inner.confirmHold(reservationId),
    release: (reservationId, reason) => inner.release(reservationId, reason),
    sweepExpired: (now, limit) => inner.sweepExpired(now, limit),
    getStock: (storeId, productId) => inner.getStock(storeId, productId),
    setOnHand: (storeId, productId, onHand) => inner.setOnHand(storeId, productId, onHand),
    rebuild: () => inner.rebuild(),
    ensureIntact: () => inner.ensureIntact(),
  };
  return {
    port,
    /** Pauses the next hold after it is made; `reached` settles once a request is held there. */
    pauseNextHold() {
      let reached!: () => void;
      let resume!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      const resumeP = new Promise<void>((r) => (resume = r));
      next = { reached, resume: resumeP };
      return { reached: reachedP, resume };
    },
  };
}

const hashOf = (body: unknown) => createHash("sha256").update(JSON.stringify(body)).digest("hex");

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** An API whose clock the test moves on and whose holds it can pause. */
async function slowStockApi(options: { idempotencyAbandonedAfterMs?: number } = {}) {
  let stock!: ReturnType<typeof pausableHolds>;
  const clock = { skewMs: 0 };
  const h = await createHarness({
    ...options,
    now: () => new Date(Date.now() + clock.skewMs),
    wrapStock: (inner) => (stock = pausableHolds(inner)).port,
  });
  harnesses.push(h);
  return { h, stock, clock };
}

async function ordersOf(h: Harness, userId: string): Promise<string[]> {
  const { rows } = await h.prisma.$pool.query<{ id: string }>("SELECT id FROM p_order WHERE user_id = $1", [userId]);
  return rows.map((r) => r.id);
}

describe("a first request that is slow, not dead, when a twin takes its Idempotency-Key over", () => {
  it("makes no second order: the slow one gives its stock back and answers what the twin answered", async () => {
    const { h, stock, clock } = await slowStockApi();
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 2 }] };
    const headers = { "Idempotency-Key": `slow-${randomUUID()}` };

    const paused = stock.pauseNextHold();
    const slow = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await paused.reached;
    // The first request holds its stock and has written nothing for longer than the abandonment time.
    expect((await h.stockOf(productId)).reserved).toBe(2);
    clock.skewMs = ABANDONED_AFTER_MS + 1_000;
    const twin = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(twin.status).toBe(201);

    paused.resume();
    const first = await slow;
    expect(first.status).toBe(201);
    expect(first.body.id).toBe(twin.body.id);
    expect(first.headers.get("idempotent-replayed")).toBe("true");
    expect(await ordersOf(h, h.customerId)).toEqual([twin.body.id]);
    // Only the twin's hold is left.
    expect(await h.stockOf(productId)).toEqual({ onHand: 10, available: 8, reserved: 2 });

    const again = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(twin.body.id);
  });

  it("answers 409 IDEMPOTENCY_KEY_IN_USE when the twin is still running, and the twin's order is the only one", async () => {
    const { h, stock, clock } = await slowStockApi();
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const headers = { "Idempotency-Key": `slow-${randomUUID()}` };

    const firstPaused = stock.pauseNextHold();
    const slow = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await firstPaused.reached;
    clock.skewMs = ABANDONED_AFTER_MS + 1_000;
    const twinPaused = stock.pauseNextHold();
    const twinCall = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await twinPaused.reached;
    expect((await h.stockOf(productId)).reserved).toBe(2);

    firstPaused.resume();
    const first = await slow;
    expect(first.status).toBe(409);
    expect(first.body.code).toBe("IDEMPOTENCY_KEY_IN_USE");
    expect(await ordersOf(h, h.customerId)).toEqual([]);
    expect((await h.stockOf(productId)).reserved).toBe(1);

    twinPaused.resume();
    const twin = await twinCall;
    expect(twin.status).toBe(201);
    expect(await ordersOf(h, h.customerId)).toEqual([twin.body.id]);
    expect(await h.stockOf(productId)).toEqual({ onHand: 10, available: 9, reserved: 1 });
  });

  it("keeps the out-of-stock order of the twin only, and the slow one replays its 409", async () => {
    const { h, stock, clock } = await slowStockApi();
    const productId = await h.product({ onHand: 1 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const headers = { "Idempotency-Key": `slow-${randomUUID()}` };

    const paused = stock.pauseNextHold();
    const slow = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await paused.reached;
    clock.skewMs = ABANDONED_AFTER_MS + 1_000;
    // The slow request holds the last unit, so the twin finds none.
    const twin = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(twin.status).toBe(409);
    expect(twin.body.code).toBe("OUT_OF_STOCK");

    paused.resume();
    const first = await slow;
    expect(first.status).toBe(409);
    expect(first.body).toEqual(twin.body);
    expect(first.headers.get("idempotent-replayed")).toBe("true");
    expect(await ordersOf(h, h.customerId)).toEqual([twin.body.orderId]);
    expect(await h.stockOf(productId)).toEqual({ onHand: 1, available: 1, reserved: 0 });
  });
});

describe("a first request that died after claiming its Idempotency-Key", () => {
  it("is taken over after 30 s by a retry, which makes the order", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const key = `dead-${randomUUID()}`;
    const headers = { "Idempotency-Key": key };
    // Claimed 31 s ago by a process killed before its insert.
    const claimedAt = new Date(Date.now() - ABANDONED_AFTER_MS - 1_000);
    expect((await idempotencyRepository.claim(h.prisma, h.customerId, key, hashOf(body), claimedAt)).state).toBe("NEW");

    const retry = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    const again = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(retry.body.id);
    expect(await ordersOf(h, h.customerId)).toEqual([retry.body.id]);
    expect((await h.stockOf(productId)).reserved).toBe(1);
  });

  it("is taken over after the abandonment time the API is configured with", async () => {
    const h = await createHarness({ idempotencyAbandonedAfterMs: 2_000 });
    harnesses.push(h);
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const key = `dead-${randomUUID()}`;
    const headers = { "Idempotency-Key": key };
    // Older than the configured time (though far younger than the default 30 s).
    const claimedAt = new Date(Date.now() - 2_000);
    expect((await idempotencyRepository.claim(h.prisma, h.customerId, key, hashOf(body), claimedAt)).state).toBe("NEW");
    const retry = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(retry.status).toBe(201);
    expect(await ordersOf(h, h.customerId)).toEqual([retry.body.id]);
  });
});
