import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function api(options: Parameters<typeof createHarness>[0] = {}) {
  const h = await createHarness(options);
  harnesses.push(h);
  return h;
}

/** Commits of the test database so far, once every backend has reported its counters. */
async function commitsOf(h: Harness): Promise<number> {
  // A backend busy within the last second reports when it has been idle for 10 s (PostgreSQL 15).
  await new Promise((r) => setTimeout(r, 11_000));
  const { rows } = await h.prisma.$pool.query<{ n: string }>(
    "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
  );
  return Number(rows[0]!.n);
}

describe("the PostgreSQL cost of POST /orders with an Idempotency-Key", () => {
  it("counts the commits of one order", { timeout: 60_000 }, async () => {
    const h = await api();
    const productId = await h.product({ onHand: 100 });
    const body = { storeId: h.storeId, items: [{ productId, quantity: 1 }] };
    const orders = 10;
    const before = await commitsOf(h);
    for (let i = 0; i < orders; i++) {
      const res = await h.call("POST", "/orders", { token: h.tokens.customer, body, headers: { "Idempotency-Key": randomUUID() } });
      expect(res.status).toBe(201);
    }
    const after = await commitsOf(h);
    // One of the counted commits is the reading query itself.
    const perOrder = (after - before - 1) / orders;
    console.log(`PostgreSQL commits per POST /orders with an Idempotency-Key: ${perOrder} (${after - before - 1} for ${orders})`);
    expect(perOrder).toBeGreaterThan(0);
  });
});
