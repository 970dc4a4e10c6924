import { randomUUID } from "node:crypto";
import { OrderWrite } from "@order-flow/db";
import type { OrderState } from "@order-flow/domain";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { storeKeys } from "../src/keys.ts";
import type { ReleaseReason, StockLine } from "../src/types.ts";
import { openHarness, type Harness } from "./support/harness.ts";
import { logStatuses, pgView, seedProducts } from "./support/fixtures.ts";
import { prng, StockModel } from "./support/model.ts";

let h: Harness;

/** The order a new hold belongs to, as the API writes it with the hold's log row. */
function orderOf(id: string, storeId: string, reservationId: string, now: Date): OrderState {
  return {
    id,
    orderNumber: `ORD-MODEL-${id.slice(0, 8)}`,
    userId: randomUUID(),
    storeId,
    status: "STOCK_RESERVED",
    items: [],
    totalAmount: 0,
    reservationId,
    paymentId: null,
    expiresAt: now,
    confirmedAt: null,
    cancelledAt: null,
    failureReason: null,
    refundId: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}
beforeAll(async () => {
  h = await openHarness();
});
afterEach(async () => h.reset());
afterAll(async () => h.close());

const GRACE = 60_000;
const STEPS = Number(process.env.STOCK_MODEL_STEPS ?? 2500);
// Fixed seeds replay exactly; STOCK_MODEL_SEED adds one of your choosing.
const SEEDS = [20261126, 7, ...(process.env.STOCK_MODEL_SEED ? [Number(process.env.STOCK_MODEL_SEED)] : [])];

describe("randomized model test", () => {
  it.each(SEEDS)(`seed %i: ${STEPS} interleaved operations on 20 products in 2 stores match the model`, async (seed) => {
    const rand = prng(seed);
    const model = new StockModel(GRACE);
    const prefix = h.prefix();
    // Paid orders are real p_order rows at PAYMENT_COMPLETED: the sweep asks the ledger.
    const stock = h.service({ prefix, sweepGraceMs: GRACE });
    const stores = [randomUUID(), randomUUID()];
    const productsOf = new Map<string, string[]>();
    for (const storeId of stores) {
      const onHands = Array.from({ length: 10 }, () => rand.int(0, 8));
      const ids = await seedProducts(h.db.prisma, storeId, onHands);
      ids.forEach((id, i) => model.addProduct(storeId, id, onHands[i]!));
      productsOf.set(storeId, ids);
    }
    await stock.rebuild();

    let clock = Date.parse("2030-01-01T00:00:00.000Z");
    const ids: string[] = [];
    const counts: Record<string, number> = {};

    const compareCounters = async (step: number) => {
      for (const storeId of stores) {
        const keys = storeKeys(stock.prefix, storeId);
        const [available, reserved] = await Promise.all([h.redis.hgetall(keys.available), h.redis.hgetall(keys.reserved)]);
        for (const productId of productsOf.get(storeId)!) {
          const p = model.products.get(productId)!;
          const actual = { step, productId, available: Number(available[productId]), reserved: Number(reserved[productId] ?? 0) };
          expect(actual).toEqual({ step, productId, available: p.available, reserved: p.reserved });
        }
      }
    };

    const compareAtRest = async () => {
      const pg = await pgView(h.db.prisma);
      const statuses = await logStatuses(h.db.prisma);
      for (const [productId, p] of model.products) {
        const redis = await stock.getStock(p.storeId, productId);
        const row = pg.get(productId)!;
        // Conservation: available + reserved = onHand in Redis, Redis onHand == PG on_hand,
        // PG on_hand minus RESERVED log rows == Redis available.
        expect(redis!.available + redis!.reserved).toBe(redis!.onHand);
        expect({ productId, onHand: redis!.onHand }).toEqual({ productId, onHand: row.onHand });
        expect({ productId, available: row.onHand - row.reserved }).toEqual({ productId, available: redis!.available });
        expect({ productId, pgOnHand: row.onHand }).toEqual({ productId, pgOnHand: p.pgOnHand });
      }
      for (const [id, r] of model.reservations) expect({ id, log: statuses.get(id) }).toEqual({ id, log: r.log });
    };

    for (let step = 0; step < STEPS; step += 1) {
      const roll = rand.next();
      const storeId = rand.pick(stores);
      const pickId = () => (ids.length > 0 && rand.next() < 0.95 ? rand.pick(ids) : `${storeId}.${randomUUID()}`);
      if (roll < 0.35) {
        counts.reserve = (counts.reserve ?? 0) + 1;
        const pool = [...productsOf.get(storeId)!];
        const lines: StockLine[] = [];
        for (let n = rand.int(1, 3); n > 0; n -= 1) {
          const [productId] = pool.splice(rand.int(0, pool.length - 1), 1);
          lines.push({ productId: productId!, quantity: rand.int(1, 3) });
        }
        if (rand.next() < 0.03) lines.push({ productId: randomUUID(), quantity: 1 }); // unknown product
        const orderId = randomUUID();
        const holdSeconds = rand.int(1, 900);
        const expected = model.reserve(storeId, lines);
        // As the API does: the hold, then the order and the hold's log row in one statement.
        const { result: actual, logRow } = await stock.holdOnly({ orderId, storeId, items: lines, holdSeconds, now: new Date(clock) });
        if (expected.ok) {
          expect({ step, ok: actual.ok }).toEqual({ step, ok: true });
          if (!actual.ok || !logRow) throw new Error("unreachable");
          await new OrderWrite().insertOrder(orderOf(logRow.orderId, storeId, actual.reservationId, new Date(clock))).insertReservationLog(logRow).run(h.db.database);
          model.applyHold(actual.reservationId, storeId, orderId, lines, clock + holdSeconds * 1000);
          ids.push(actual.reservationId);
        } else {
          expect({ step, ...actual }).toEqual({ step, ...expected });
        }
      } else if (roll < 0.5) {
        counts.confirm = (counts.confirm ?? 0) + 1;
        const id = pickId();
        // As the PaymentCompleted handler does: the Redis confirm, then the sale in a statement.
        expect({ step, outcome: await stock.confirm(id) }).toEqual({ step, outcome: model.confirm(id) });
      } else if (roll < 0.65) {
        counts.release = (counts.release ?? 0) + 1;
        const id = pickId();
        const reason = rand.pick<ReleaseReason>(["CANCELLED", "TIMEOUT", "REJECTED"]);
        expect({ step, outcome: await stock.release(id, reason) }).toEqual({ step, outcome: model.release(id, reason) });
      } else if (roll < 0.7) {
        const live = [...model.reservations.values()];
        if (live.length > 0) {
          const { orderId } = rand.pick(live);
          model.paid.add(orderId);
          await h.db.prisma.$executeRawUnsafe(`UPDATE p_order SET status = 'PAYMENT_COMPLETED' WHERE id = $1::uuid`, orderId);
        }
      } else if (roll < 0.8) {
        clock += rand.int(0, 300_000);
      } else if (roll < 0.9) {
        counts.sweep = (counts.sweep ?? 0) + 1;
        const actual = (await stock.sweepExpired(new Date(clock), 10_000)).released.sort();
        expect({ step, released: actual }).toEqual({ step, released: model.sweep(clock) });
      } else {
        counts.setOnHand = (counts.setOnHand ?? 0) + 1;
        const productId = rand.pick(productsOf.get(storeId)!);
        const onHand = rand.int(0, 15);
        expect({ step, result: await stock.setOnHand(storeId, productId, onHand) }).toEqual({
          step,
          result: model.setOnHand(productId, onHand),
        });
      }
      await compareCounters(step);
      if (step % 500 === 499) await compareAtRest();
    }
    await compareAtRest();
    // The run really exercised every operation.
    for (const op of ["reserve", "confirm", "release", "sweep", "setOnHand"]) expect(counts[op] ?? 0).toBeGreaterThan(50);
  });
});
