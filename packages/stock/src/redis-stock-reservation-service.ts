import { randomUUID } from "node:crypto";
import type { ReservationLedger, ReservationLogEntry } from "@order-flow/domain";
import type { RedisClient } from "./commands.ts";
import { globalKeys, newReservationId, normalizePrefix, storeKeys, storeOfReservation } from "./keys.ts";
import { ConfirmCode, ReleaseCode, ReserveCode, SetOnHandCode } from "./script-codes.ts";
import { StockError } from "./stock-error.ts";
import { StockScripts } from "./stock-scripts.ts";
import type { HoldOutcome, StockReservationService } from "./stock-reservation-service.ts";
import type {
  ConfirmOutcome,
  RebuildSummary,
  ReleaseOutcome,
  ReleaseReason,
  ReservationResult,
  ReserveInput,
  SetOnHandResult,
  StockLevel,
  StockLine,
  SweepResult,
} from "./types.ts";

export type RedisStockReservationServiceOptions = {
  redis: RedisClient;
  /** The durable copy: log rows and on_hand (packages/db implements it on PostgreSQL). */
  ledger: ReservationLedger;
  /** Key prefix, e.g. "of" or "test:<uuid>:"; a ":" is appended when missing. */
  prefix: string;
  /** How long past its deadline a hold is left alone, so a late payment worker can still confirm it. */
  sweepGraceMs?: number;
  /** How long confirmed/released records stay, so late duplicate calls are recognised. */
  finalRecordTtlMs?: number;
  /** How long the rebuild lock lives and how long others wait for a rebuild. */
  rebuildLockMs?: number;
};

type Intact = "INTACT" | "REBUILT" | "WAITED";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How far back before a rebuild a hold may have been taken whose row commits after it. */
const LATE_HOLD_LOOKBACK_MS = 2 * 60 * 1000;
const LATE_HOLD_RESTORE_DELAYS_MS = [1_000, 5_000, 15_000, 30_000];

function assertUuid(value: string, what: string): void {
  if (!UUID.test(value)) throw new StockError("INVALID_INPUT", `${what} must be a uuid: ${value}`);
}

/** Merges repeated products and sorts them, so scripts and log rows see one canonical list. */
function normalizeItems(items: StockLine[]): StockLine[] {
  if (items.length === 0) throw new StockError("INVALID_INPUT", "a reservation needs at least one item");
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) {
    assertUuid(productId, "productId");
    if (!Number.isSafeInteger(quantity) || quantity <= 0) {
      throw new StockError("INVALID_INPUT", `quantity must be a positive integer: ${quantity}`);
    }
    totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  }
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}

function logStatusFor(reason: ReleaseReason): "RELEASED" | "EXPIRED" {
  return reason === "EXPIRED" || reason === "TIMEOUT" ? "EXPIRED" : "RELEASED";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stock holds in Redis (one Lua script per operation, all keys of a store in one slot) with a
 * durable copy in PostgreSQL. The order of writes is in ../README.md.
 */
export class RedisStockReservationService implements StockReservationService {
  readonly #redis: RedisClient;
  readonly #ledger: ReservationLedger;
  readonly #prefix: string;
  readonly #graceMs: number;
  readonly #rebuildLockMs: number;
  readonly #scripts: StockScripts;
  readonly #global: ReturnType<typeof globalKeys>;
  #intactCheck: Promise<Intact> | undefined;

  constructor(options: RedisStockReservationServiceOptions) {
    this.#redis = options.redis;
    this.#ledger = options.ledger;
    this.#prefix = normalizePrefix(options.prefix);
    this.#graceMs = options.sweepGraceMs ?? 60_000;
    this.#rebuildLockMs = options.rebuildLockMs ?? 120_000;
    this.#scripts = new StockScripts({
      redis: options.redis,
      prefix: this.#prefix,
      finalRecordTtlMs: options.finalRecordTtlMs ?? DAY_MS,
    });
    this.#global = globalKeys(this.#prefix);
  }

  get prefix(): string {
    return this.#prefix;
  }

  // ---------------------------------------------------------------- reserve

  /**
   * The Redis hold alone. The caller writes `logRow` (the durable RESERVED copy) in its own
   * transaction, e.g. the order's, and releases the hold (ROLLBACK) if that transaction
   * fails; a crash in between leaves a hold with no log row, which the sweep reclaims.
   */
  async holdOnly(input: ReserveInput): Promise<HoldOutcome> {
    assertUuid(input.orderId, "orderId");
    assertUuid(input.storeId, "storeId");
    if (!(input.holdSeconds > 0)) throw new StockError("INVALID_INPUT", "holdSeconds must be positive");
    const items = normalizeItems(input.items);
    const now = input.now ?? new Date();
    const expiresAt = new Date(now.getTime() + Math.round(input.holdSeconds * 1000));

    let held = await this.#hold(input.storeId, input.orderId, items, expiresAt);
    // An unknown product may mean Redis lost its data: rebuild (or wait for it) and try once more.
    if (!held.ok && held.reason === "UNKNOWN_PRODUCT" && (await this.#recoverIfLost())) {
      held = await this.#hold(input.storeId, input.orderId, items, expiresAt);
    }
    if (!held.ok) return { result: held, logRow: null };
    return {
      result: held,
      logRow: {
        id: randomUUID(),
        reservationId: held.reservationId,
        orderId: input.orderId,
        storeId: input.storeId,
        products: items,
        expiresAt,
        createdAt: now,
      },
    };
  }

  async #hold(storeId: string, orderId: string, items: StockLine[], expiresAt: Date): Promise<ReservationResult> {
    for (;;) {
      const reservationId = newReservationId(storeId);
      const reply = await this.#scripts.reserve(storeId, reservationId, orderId, items, expiresAt);
      if (reply.code === ReserveCode.Held) return { ok: true, reservationId, expiresAt };
      if (reply.code === ReserveCode.DuplicateId) continue; // a uuid collision: draw again
      return {
        ok: false,
        reason: reply.code === ReserveCode.OutOfStock ? "OUT_OF_STOCK" : "UNKNOWN_PRODUCT",
        productId: reply.productId,
        requested: reply.requested,
        available: reply.available,
      };
    }
  }

  // ---------------------------------------------------------------- confirm

  /**
   * The hold becomes a sale in Redis (reserved −= q). The caller records the sale durably
   * in its own statement, with the order change it belongs to (OrderWrite.confirmReservation:
   * log CONFIRMED, on_hand −= q); until then the sweep leaves the hold alone (its order is
   * paid). Idempotent: a retry after a crash before that statement answers ALREADY_CONFIRMED,
   * and the statement then runs.
   */
  async confirmHold(reservationId: string): Promise<ConfirmOutcome> {
    const storeId = storeOfReservation(reservationId);
    if (!storeId) return "NOT_HELD";
    let code = await this.#scripts.confirm(storeId, reservationId);
    if (code === ConfirmCode.Missing && (await this.#recoverIfLost())) {
      code = await this.#scripts.confirm(storeId, reservationId);
    }
    if (code === ConfirmCode.Missing) {
      // The record is gone (TTL, or a hold lost with Redis's data): PostgreSQL knows whether it was sold.
      const entry = await this.#ledger.find(reservationId);
      if (entry?.status === "CONFIRMED") return "ALREADY_CONFIRMED";
      if (entry?.status === "RESERVED") return this.#confirmLostHold(storeId, reservationId);
      return "NOT_HELD";
    }
    if (code === ConfirmCode.NotHeld) return "NOT_HELD";
    return code === ConfirmCode.Confirmed ? "CONFIRMED" : "ALREADY_CONFIRMED";
  }

  /**
   * A hold the durable copy still has as RESERVED but Redis lost (taken just before a data
   * loss, its row committed after the rebuild read PostgreSQL): take its units again and sell
   * them in Redis, with the log row locked so that a release or the sweep waits for the
   * outcome. The row stays RESERVED, as after any Redis confirm: the caller's statement sells
   * it. Units already given to someone else since the rebuild mean NOT_HELD (the job fails visibly).
   */
  async #confirmLostHold(storeId: string, reservationId: string): Promise<ConfirmOutcome> {
    return this.#ledger.withLockedEntry(reservationId, async (entry) => {
      if (entry?.status === "CONFIRMED") return "ALREADY_CONFIRMED";
      if (entry?.status !== "RESERVED") return "NOT_HELD";
      const held = await this.#restoreHold(storeId, entry);
      if (!held) return "NOT_HELD";
      const code = await this.#scripts.confirm(storeId, reservationId);
      if (code === ConfirmCode.Confirmed) return "CONFIRMED";
      return code === ConfirmCode.AlreadyConfirmed ? "ALREADY_CONFIRMED" : "NOT_HELD";
    });
  }

  /** The hold again under its own id (the reserve script; a record already there counts as held). */
  async #restoreHold(storeId: string, entry: ReservationLogEntry): Promise<boolean> {
    const { code } = await this.#scripts.reserve(storeId, entry.reservationId, entry.orderId, entry.products, entry.expiresAt);
    return code === ReserveCode.Held || code === ReserveCode.DuplicateId;
  }

  /**
   * After a rebuild: holds whose log row committed after the rebuild read PostgreSQL are not
   * in Redis, and their units look free. Put back every RESERVED row of the last minutes that
   * Redis does not know; run a few times after the rebuild, as slow commits land.
   */
  async restoreLateHolds(since: Date): Promise<number> {
    let restored = 0;
    for (const { reservationId, storeId } of await this.#ledger.recentHolds(since)) {
      const keys = storeKeys(this.#prefix, storeId);
      if ((await this.#redis.exists(keys.record(reservationId))) === 1) continue;
      const done = await this.#ledger.withLockedEntry(
        reservationId,
        async (entry) => entry?.status === "RESERVED" && (await this.#restoreHold(storeId, entry)),
      );
      if (done) restored += 1;
    }
    return restored;
  }

  // ---------------------------------------------------------------- release

  async release(reservationId: string, reason: ReleaseReason): Promise<ReleaseOutcome> {
    const storeId = storeOfReservation(reservationId);
    if (!storeId) return "UNKNOWN";
    const target = logStatusFor(reason);
    let { code, from } = await this.#scripts.release(storeId, reservationId, "ANY");
    if (code === ReleaseCode.Missing && (await this.#recoverIfLost())) {
      ({ code, from } = await this.#scripts.release(storeId, reservationId, "ANY"));
    }
    if (code === ReleaseCode.Missing) {
      const row = await this.#ledger.find(reservationId);
      if (!row) return "UNKNOWN";
      if (row.status === "RESERVED") {
        // A hold Redis does not know is not in its counters: close the log row only.
        const closed = await this.#ledger.close(reservationId, "RESERVED", target);
        return closed ? "RELEASED" : "ALREADY_RELEASED";
      }
      if (row.status !== "CONFIRMED") return "ALREADY_RELEASED";
      // A sale whose record expired: the script restores its units once and leaves a tombstone.
      ({ code, from } = await this.#scripts.release(storeId, reservationId, "ANY", row.products));
    }
    // The PostgreSQL half runs on ALREADY_RELEASED too, so a retry completes it.
    await this.#releaseInPg(reservationId, from === "CONFIRMED" ? "CONFIRMED" : "HELD", target);
    return code === ReleaseCode.ReleasedFromHeld || code === ReleaseCode.ReleasedFromConfirmed
      ? "RELEASED"
      : "ALREADY_RELEASED";
  }

  /**
   * The PostgreSQL half of a release. From a hold: RESERVED -> target. From a sale: if the
   * sale's durable half already ran (CONFIRMED), on_hand += q; if it has not (still
   * RESERVED), close the row without touching on_hand, and that half (the order's statement)
   * then finds nothing to do. Either way Redis and PostgreSQL agree.
   */
  async #releaseInPg(reservationId: string, from: "HELD" | "CONFIRMED", target: "RELEASED" | "EXPIRED"): Promise<void> {
    if (from === "HELD") await this.#ledger.close(reservationId, "RESERVED", target);
    else await this.#ledger.releaseSale(reservationId);
  }

  // ---------------------------------------------------------------- sweep

  async sweepExpired(now: Date, limit: number): Promise<SweepResult> {
    // Never judge records "missing" while Redis is empty: rebuild first.
    await this.#recoverIfLost();
    const cutoff = now.getTime() - this.#graceMs;
    const released: string[] = [];
    let budget = limit;
    const stores = await this.#redis.smembers(this.#global.stores);
    for (const storeId of stores.sort()) {
      if (budget <= 0) break;
      const keys = storeKeys(this.#prefix, storeId);
      const ids = await this.#redis.zrangebyscore(keys.expiries, "-inf", cutoff, "LIMIT", 0, budget);
      if (ids.length === 0) continue;
      budget -= ids.length;
      released.push(...(await this.#sweepStore(storeId, ids, now, cutoff)));
    }
    released.push(...(await this.#sweepLog(cutoff, limit)));
    return { released };
  }

  async #sweepStore(storeId: string, ids: string[], now: Date, cutoff: number): Promise<string[]> {
    const keys = storeKeys(this.#prefix, storeId);
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.record(id), "orderId", "state", "deadline");
    const replies = (await pipeline.exec()) ?? [];
    const held: { id: string; orderId: string }[] = [];
    for (const [i, id] of ids.entries()) {
      const [orderId, state, deadline] = (replies[i]?.[1] ?? []) as (string | null)[];
      if (state === "HELD" && orderId && Number(deadline) <= cutoff) held.push({ id, orderId });
      // Not held any more (or not yet due): the defer script drops it from the index or moves it.
      else await this.#scripts.defer(storeId, id, Number(deadline) || now.getTime());
    }
    if (held.length === 0) return [];

    const statuses = await this.#ledger.statuses(held.map((h) => h.id));
    const paid = await this.#ledger.paidOrders([...new Set(held.map((h) => h.orderId))]);
    const released: string[] = [];
    for (const { id, orderId } of held) {
      const status = statuses.get(id);
      if (status === "CONFIRMED") {
        // PostgreSQL sold it but Redis still holds it (a rebuild raced a confirm): finish in Redis.
        await this.#scripts.confirm(storeId, id);
        continue;
      }
      if (status === "RELEASED" || status === "EXPIRED") {
        await this.#scripts.release(storeId, id, "HELD_ONLY");
        continue;
      }
      if (paid.has(orderId)) {
        // Paid: the confirm is on its way; look again one grace period later, behind older holds.
        await this.#scripts.defer(storeId, id, now.getTime());
        continue;
      }
      // The script decides: with several sweepers, exactly one sees ReleasedFromHeld.
      const { code } = await this.#scripts.release(storeId, id, "HELD_ONLY");
      if (code === ReleaseCode.ReleasedFromHeld) {
        await this.#ledger.close(id, "RESERVED", "EXPIRED");
        released.push(id);
      } else if (code === ReleaseCode.AlreadyReleased) {
        await this.#ledger.close(id, "RESERVED", "EXPIRED"); // finish a sweeper that died between halves
      }
    }
    return released;
  }

  /**
   * PostgreSQL side: RESERVED rows past deadline + grace that Redis does not hold. No record:
   * the hold is not in the counters (e.g. created before a data loss), so only the row closes.
   * A final record: a call died between its two halves, so finish the PostgreSQL half. A paid
   * order's row is left to its PaymentCompleted handler, whose statement sells it even when
   * its Redis record already says CONFIRMED.
   */
  async #sweepLog(cutoff: number, limit: number): Promise<string[]> {
    const rows = await this.#ledger.dueHolds(new Date(cutoff), limit);
    // A paid order's hold lost with Redis's data is its confirm's to restore, not ours to expire.
    const paid = await this.#ledger.paidOrders([...new Set(rows.map((r) => r.orderId))]);
    const expired: string[] = [];
    for (const row of rows) {
      if (paid.has(row.orderId)) continue;
      const keys = storeKeys(this.#prefix, row.storeId);
      const [state, from] = await this.#redis.hmget(keys.record(row.reservationId), "state", "from");
      if (state === "HELD") continue; // the Redis sweep's job
      // Sold in Redis, but its order is no longer paid (cancelled before its statement ran):
      // record the sale, so the cancel's release (from CONFIRMED) gives on_hand back once.
      if (state === "CONFIRMED") await this.#ledger.confirm(row.reservationId);
      else if (state === "RELEASED") {
        await this.#releaseInPg(row.reservationId, from === "CONFIRMED" ? "CONFIRMED" : "HELD", "RELEASED");
      } else if (await this.#ledger.close(row.reservationId, "RESERVED", "EXPIRED")) {
        expired.push(row.reservationId);
      }
    }
    return expired;
  }

  // ---------------------------------------------------------------- stock numbers

  async getStock(storeId: string, productId: string): Promise<StockLevel | null> {
    const counters = await this.#scripts.getStock(storeId, productId);
    if (!counters) return null;
    const { available, reserved } = counters;
    return { onHand: available + reserved, available, reserved };
  }

  async setOnHand(storeId: string, productId: string, onHand: number): Promise<SetOnHandResult> {
    assertUuid(storeId, "storeId");
    assertUuid(productId, "productId");
    if (!Number.isSafeInteger(onHand) || onHand < 0) {
      throw new StockError("INVALID_INPUT", `onHand must be a non-negative integer: ${onHand}`);
    }
    // An absolute figure written into an empty Redis would ignore PostgreSQL's live holds.
    await this.#recoverIfLost();
    // Before the script, so the sweep already knows the store when its first hold appears.
    await this.#redis.sadd(this.#global.stores, storeId);
    let delta: number | undefined;
    try {
      const change = await this.#ledger.setOnHand<SetOnHandResult>(storeId, productId, onHand, async (change) => {
        // The delta under the row lock commutes with confirm/release halves still in flight.
        const { code, reserved } = await this.#scripts.setOnHand(storeId, productId, onHand, change);
        if (code === SetOnHandCode.StockHeld) return { write: false, result: { ok: false, code: "STOCK_HELD", reserved } };
        delta = change;
        return { write: true, result: { ok: true } };
      });
      if (!change.found) throw new StockError("UNKNOWN_PRODUCT", `no product ${productId} in store ${storeId}`);
      return change.result;
    } catch (error) {
      // The commit failed after Redis took the change: take it back (best effort; stock:rebuild otherwise).
      if (delta !== undefined && delta !== 0) {
        await this.#scripts.setOnHand(storeId, productId, 0, -delta).catch(() => {});
      }
      throw error;
    }
  }

  // ---------------------------------------------------------------- rebuild

  async rebuild(): Promise<RebuildSummary> {
    const started = new Date();
    const stores = await this.#ledger.stores();
    const summary: RebuildSummary = { stores: 0, products: 0, holds: 0 };
    for (const storeId of stores) {
      const { products, holds } = await this.#rebuildStore(storeId);
      summary.stores += 1;
      summary.products += products;
      summary.holds += holds;
    }
    await this.#redis.set(this.#global.epoch, new Date().toISOString());
    this.#scheduleLateHoldRestores(started);
    return summary;
  }

  /** A hold taken before the data loss may commit its log row seconds after the rebuild read it. */
  #scheduleLateHoldRestores(rebuildStarted: Date): void {
    const since = new Date(rebuildStarted.getTime() - LATE_HOLD_LOOKBACK_MS);
    for (const delay of LATE_HOLD_RESTORE_DELAYS_MS) {
      setTimeout(() => {
        this.restoreLateHolds(since).catch(() => {
          // Best effort: a confirm still restores its own hold (#confirmLostHold).
        });
      }, delay).unref();
    }
  }

  /** One store: read PostgreSQL under FOR SHARE (setOnHand waits), replace Redis in one script. */
  #rebuildStore(storeId: string): Promise<{ products: number; holds: number }> {
    return this.#ledger.withStoreSnapshot(storeId, async ({ products, holds }) => {
      const held = new Map<string, number>();
      for (const hold of holds) {
        for (const item of hold.products) held.set(item.productId, (held.get(item.productId) ?? 0) + item.quantity);
      }
      const available = products.map((p) => ({ productId: p.productId, available: p.onHand - (held.get(p.productId) ?? 0) }));
      await this.#redis.sadd(this.#global.stores, storeId);
      return this.#scripts.rebuildStore(storeId, available, holds);
    });
  }

  async ensureIntact(): Promise<boolean> {
    return (await this.#checkIntact()) === "REBUILT";
  }

  /** True when Redis had lost its data and is now rebuilt (by this process or another). */
  async #recoverIfLost(): Promise<boolean> {
    return (await this.#checkIntact()) !== "INTACT";
  }

  /** Concurrent callers in one process share one check. */
  #checkIntact(): Promise<Intact> {
    this.#intactCheck ??= this.#doCheckIntact().finally(() => {
      this.#intactCheck = undefined;
    });
    return this.#intactCheck;
  }

  async #doCheckIntact(): Promise<Intact> {
    if ((await this.#redis.exists(this.#global.epoch)) === 1) return "INTACT";
    const token = randomUUID();
    const giveUp = Date.now() + this.#rebuildLockMs;
    for (;;) {
      // Only the lock holder rebuilds; the others wait for the epoch marker to reappear.
      if ((await this.#redis.set(this.#global.rebuildLock, token, "PX", this.#rebuildLockMs, "NX")) === "OK") {
        try {
          if ((await this.#redis.exists(this.#global.epoch)) === 1) return "WAITED";
          await this.rebuild();
          return "REBUILT";
        } finally {
          await this.#scripts.unlockRebuild(token);
        }
      }
      await sleep(50);
      if ((await this.#redis.exists(this.#global.epoch)) === 1) return "WAITED";
      if (Date.now() > giveUp) throw new StockError("REBUILD_TIMEOUT", "gave up waiting for the stock rebuild");
    }
  }
}
