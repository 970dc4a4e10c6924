import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { StockReservationService } from "@order-flow/stock";
import { idempotencyClaimKey, idempotencyClaims } from "../src/middleware/idempotency-claims.ts";
import { idempotencyRequestHash } from "../src/middleware/idempotency.ts";
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

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** The abandonment time of these tests' APIs: short, so a claim runs out while a request is paused. */
const ABANDONED_AFTER_MS = 300;
const claimRunsOut = () => new Promise((r) => setTimeout(r, ABANDONED_AFTER_MS + 200));

/** An API with a short abandonment time whose holds the test can pause. */
async function slowStockApi() {
  let stock!: ReturnType<typeof pausableHolds>;
  const h = await createHarness({
    idempotencyAbandonedAfterMs: ABANDONED_AFTER_MS,
    wrapStock: (inner) => (stock = pausableHolds(inner)).port,
  });
  harnesses.push(h);
  return { h, stock };
}

async function ordersOf(h: Harness, userId: string): Promise<string[]> {
  const { rows } = await h.db.pool.query<{ id: string }>("SELECT id FROM p_order WHERE user_id = $1", [userId]);
  return rows.map((r) => r.id);
}

describe("a first request that is slow, not dead, when its claim runs out and a twin runs", () => {
  it("makes no second order: the slow one gives its stock back and answers what the twin answered", async () => {
    const { h, stock } = await slowStockApi();
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 2 }] };
    const headers = { "Idempotency-Key": `slow-${randomUUID()}` };

    const paused = stock.pauseNextHold();
    const slow = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await paused.reached;
    // The first request holds its stock and has written nothing for longer than the abandonment time.
    expect((await h.stockOf(productId)).reserved).toBe(2);
    await claimRunsOut();
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

  it("makes one order when both run: the first to store its answer wins, the other gives its stock back and answers the same", async () => {
    const { h, stock } = await slowStockApi();
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const headers = { "Idempotency-Key": `slow-${randomUUID()}` };

    const firstPaused = stock.pauseNextHold();
    const slow = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await firstPaused.reached;
    await claimRunsOut();
    const twinPaused = stock.pauseNextHold();
    const twinCall = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await twinPaused.reached;
    expect((await h.stockOf(productId)).reserved).toBe(2);

    firstPaused.resume();
    const first = await slow;
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await ordersOf(h, h.customerId)).toEqual([first.body.id]);

    twinPaused.resume();
    const twin = await twinCall;
    expect(twin.status).toBe(201);
    expect(twin.body.id).toBe(first.body.id);
    expect(twin.headers.get("idempotent-replayed")).toBe("true");
    expect(await ordersOf(h, h.customerId)).toEqual([first.body.id]);
    expect(await h.stockOf(productId)).toEqual({ onHand: 10, available: 9, reserved: 1 });
  });

  it("keeps the out-of-stock order of the twin only, and the slow one replays its 409", async () => {
    const { h, stock } = await slowStockApi();
    const productId = await h.product({ onHand: 1 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const headers = { "Idempotency-Key": `slow-${randomUUID()}` };

    const paused = stock.pauseNextHold();
    const slow = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await paused.reached;
    await claimRunsOut();
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
  it("leaves a claim that runs out after the abandonment time; a retry waiting for it then makes the order", async () => {
    const h = await createHarness({ idempotencyAbandonedAfterMs: 1_000 });
    harnesses.push(h);
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const key = `dead-${randomUUID()}`;
    const headers = { "Idempotency-Key": key };
    // Claimed by a process killed before its order's statement.
    const claims = idempotencyClaims({ redis: h.redis, prefix: `${h.prefix}:`, abandonedAfterMs: 1_000 });
    expect(await claims.take(h.customerId, key, randomUUID(), idempotencyRequestHash(h.customerId, "POST", "/orders", body))).toBeNull();

    const retry = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    const again = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(retry.body.id);
    expect(await ordersOf(h, h.customerId)).toEqual([retry.body.id]);
    expect((await h.stockOf(productId)).reserved).toBe(1);
  });
});

describe("a claim that Redis lost while its request ran (a restart, a flush)", () => {
  it("still makes one order: the twin that ran meanwhile stores its answer, the first gives its stock back and answers the same", async () => {
    const { h, stock } = await slowStockApi();
    const productId = await h.product({ onHand: 10 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 2 }] };
    const key = `lost-${randomUUID()}`;
    const headers = { "Idempotency-Key": key };

    const paused = stock.pauseNextHold();
    const slow = h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    await paused.reached;
    await h.redis.del(idempotencyClaimKey(`${h.prefix}:`, h.customerId, key));
    const twin = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers });
    expect(twin.status).toBe(201);

    paused.resume();
    const first = await slow;
    expect(first.status).toBe(201);
    expect(first.body.id).toBe(twin.body.id);
    expect(first.headers.get("idempotent-replayed")).toBe("true");
    expect(await ordersOf(h, h.customerId)).toEqual([twin.body.id]);
    expect(await h.stockOf(productId)).toEqual({ onHand: 10, available: 8, reserved: 2 });
  });

  it("makes one order for a burst of twins while the claim keeps disappearing", async () => {
    const h = await createHarness();
    harnesses.push(h);
    const productId = await h.product({ onHand: 50 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const key = `flushed-${randomUUID()}`;
    const headers = { "Idempotency-Key": key };
    let flushing = true;
    const flusher = (async () => {
      while (flushing) {
        await h.redis.del(idempotencyClaimKey(`${h.prefix}:`, h.customerId, key));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.call("POST", "/orders", { token: h.tokens.customer, body, headers })),
    );
    flushing = false;
    await flusher;
    for (const r of results) expect([201, 409]).toContain(r.status);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe("IDEMPOTENCY_KEY_IN_USE");
    const orders = await ordersOf(h, h.customerId);
    expect(orders).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 201)) expect(r.body.id).toBe(orders[0]);
    expect(await h.stockOf(productId)).toEqual({ onHand: 50, available: 49, reserved: 1 });
  });
});
