import { randomUUID } from "node:crypto";
import { inPgTransaction, type PgClient, type PrismaClient } from "@order-flow/db";
import { stockCommands, type RedisClient, type StockCommands } from "./commands.ts";
import { globalKeys, newReservationId, normalizePrefix, storeKeys, storeOfReservation } from "./keys.ts";
import { paidOrdersFromDatabase, type IsOrderPaid } from "./order-paid.ts";
import { ReservationLogWriter } from "./reservation-log-writer.ts";
import { ConfirmCode, ReleaseCode, ReserveCode, SetOnHandCode } from "./script-codes.ts";
import { StockError } from "./stock-error.ts";
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
  prisma: PrismaClient;
  /** Key prefix, e.g. "of" or "test:<uuid>:"; a ":" is appended when missing. */
  prefix: string;
  /** How long past its deadline a hold is left alone, so a late payment worker can still confirm it. */
  sweepGraceMs?: number;
  isOrderPaid?: IsOrderPaid;
  /** How long confirmed/released records stay, so late duplicate calls are recognised. */
  finalRecordTtlMs?: number;
  /** Group-commit settings of the log insert (maxBatch 1 = one INSERT per reservation). */
  logBatch?: { maxBatch?: number; maxConcurrent?: number };
  /** How long the rebuild lock lives and how long others wait for a rebuild. */
  rebuildLockMs?: number;
};

type LogStatus = "RESERVED" | "CONFIRMED" | "RELEASED" | "EXPIRED";
type Intact = "INTACT" | "REBUILT" | "WAITED";
type LockedLogRow = { status: LogStatus; products: StockLine[]; order_id: string; expires_at: Date };

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
  readonly #prisma: PrismaClient;
  readonly #prefix: string;
  readonly #graceMs: number;
  readonly #finalTtlMs: number;
  readonly #rebuildLockMs: number;
  readonly #isOrderPaid: IsOrderPaid;
  readonly #commands: StockCommands;
  readonly #log: ReservationLogWriter;
  readonly #global: ReturnType<typeof globalKeys>;
  #intactCheck: Promise<Intact> | undefined;

  constructor(options: RedisStockReservationServiceOptions) {
    this.#redis = options.redis;
    this.#prisma = options.prisma;
    this.#prefix = normalizePrefix(options.prefix);
    this.#graceMs = options.sweepGraceMs ?? 60_000;
    this.#finalTtlMs = options.finalRecordTtlMs ?? DAY_MS;
    this.#rebuildLockMs = options.rebuildLockMs ?? 120_000;
    this.#isOrderPaid = options.isOrderPaid ?? paidOrdersFromDatabase(options.prisma);
    this.#commands = stockCommands(options.redis);
    this.#log = new ReservationLogWriter(options.prisma, options.logBatch);
    this.#global = globalKeys(this.#prefix);
  }

  get prefix(): string {
    return this.#prefix;
  }

  // ---------------------------------------------------------------- reserve

  async reserve(input: ReserveInput): Promise<ReservationResult> {
    const { result, logRow } = await this.holdOnly(input);
    if (!result.ok || !logRow) return result;
    try {
      await this.#log.insert(logRow);
    } catch (error) {
      // No durable copy, no hold: give the units back before reporting the failure.
      await this.release(logRow.reservationId, "ROLLBACK").catch(() => {});
      throw error;
    }
    return result;
  }

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
    const keys = storeKeys(this.#prefix, storeId);
    for (;;) {
      const reservationId = newReservationId(storeId);
      const args: (string | number)[] = [reservationId, orderId, expiresAt.getTime(), JSON.stringify(items)];
      for (const item of items) args.push(item.productId, item.quantity);
      const [code, productId, requested, available] = await this.#commands.reserve(
        [keys.available, keys.reserved, keys.record(reservationId), keys.expiries],
        args,
      );
      if (code === ReserveCode.Held) return { ok: true, reservationId, expiresAt };
      if (code === ReserveCode.DuplicateId) continue; // a uuid collision: draw again
      return {
        ok: false,
        reason: code === ReserveCode.OutOfStock ? "OUT_OF_STOCK" : "UNKNOWN_PRODUCT",
        productId,
        requested,
        available,
      };
    }
  }

  // ---------------------------------------------------------------- confirm

  async confirm(reservationId: string): Promise<ConfirmOutcome> {
    const storeId = storeOfReservation(reservationId);
    if (!storeId) return "NOT_HELD";
    let code = await this.#confirmInRedis(storeId, reservationId);
    if (code === ConfirmCode.Missing && (await this.#recoverIfLost())) {
      code = await this.#confirmInRedis(storeId, reservationId);
    }
    if (code === ConfirmCode.Missing) {
      // The record is gone (TTL, or a hold lost with Redis's data): PostgreSQL knows whether it was sold.
      const row = await this.#logRow(reservationId);
      if (row?.status === "CONFIRMED") return "ALREADY_CONFIRMED";
      if (row?.status === "RESERVED") return this.#confirmLostHold(storeId, reservationId);
      return "NOT_HELD";
    }
    if (code === ConfirmCode.NotHeld) return "NOT_HELD";
    // Runs on ALREADY_CONFIRMED too: a retry after a crash between the two halves completes PostgreSQL.
    await this.#confirmInPg(reservationId);
    return code === ConfirmCode.Confirmed ? "CONFIRMED" : "ALREADY_CONFIRMED";
  }

  #confirmInRedis(storeId: string, reservationId: string): Promise<number> {
    const keys = storeKeys(this.#prefix, storeId);
    return this.#commands.confirm(
      [keys.reserved, keys.record(reservationId), keys.expiries],
      [reservationId, this.#finalTtlMs],
    );
  }

  /** RESERVED -> CONFIRMED and on_hand -= q, once: only the call that changes the row moves on_hand. */
  async #confirmInPg(reservationId: string): Promise<boolean> {
    return inPgTransaction(this.#prisma.$pool, (client) => confirmLogRow(client, reservationId));
  }

  /**
   * A hold the durable copy still has as RESERVED but Redis lost (taken just before a data
   * loss, its row committed after the rebuild read PostgreSQL): take its units again and sell
   * them, with the log row locked so that a release or the sweep waits for the outcome.
   * Units already given to someone else since the rebuild mean NOT_HELD (the job fails visibly).
   */
  async #confirmLostHold(storeId: string, reservationId: string): Promise<ConfirmOutcome> {
    return inPgTransaction(this.#prisma.$pool, async (client) => {
      const row = await this.#lockedLogRow(client, reservationId);
      if (row?.status === "CONFIRMED") return "ALREADY_CONFIRMED";
      if (row?.status !== "RESERVED") return "NOT_HELD";
      const held = await this.#restoreHold(storeId, reservationId, row);
      if (!held) return "NOT_HELD";
      const code = await this.#confirmInRedis(storeId, reservationId);
      if (code !== ConfirmCode.Confirmed && code !== ConfirmCode.AlreadyConfirmed) return "NOT_HELD";
      await confirmLogRow(client, reservationId);
      return "CONFIRMED";
    });
  }

  async #lockedLogRow(client: PgClient, reservationId: string): Promise<LockedLogRow | undefined> {
    const { rows } = await client.query<LockedLogRow>(
      `SELECT status, products, order_id::text AS order_id, expires_at
       FROM p_stock_reservation_log WHERE reservation_id = $1 FOR UPDATE`,
      [reservationId],
    );
    return rows[0];
  }

  /** The hold again under its own id (the reserve script; a record already there counts as held). */
  async #restoreHold(storeId: string, reservationId: string, row: LockedLogRow): Promise<boolean> {
    const keys = storeKeys(this.#prefix, storeId);
    const args: (string | number)[] = [reservationId, row.order_id, new Date(row.expires_at).getTime(), JSON.stringify(row.products)];
    for (const item of row.products) args.push(item.productId, item.quantity);
    const [code] = await this.#commands.reserve([keys.available, keys.reserved, keys.record(reservationId), keys.expiries], args);
    return code === ReserveCode.Held || code === ReserveCode.DuplicateId;
  }

  /**
   * After a rebuild: holds whose log row committed after the rebuild read PostgreSQL are not
   * in Redis, and their units look free. Put back every RESERVED row of the last minutes that
   * Redis does not know; run a few times after the rebuild, as slow commits land.
   */
  async restoreLateHolds(since: Date): Promise<number> {
    const { rows } = await this.#prisma.$pool.query<{ reservation_id: string; store_id: string }>(
      `SELECT reservation_id, store_id::text AS store_id FROM p_stock_reservation_log
       WHERE status = 'RESERVED' AND created_at >= $1`,
      [since],
    );
    let restored = 0;
    for (const { reservation_id: reservationId, store_id: storeId } of rows) {
      const keys = storeKeys(this.#prefix, storeId);
      if ((await this.#redis.exists(keys.record(reservationId))) === 1) continue;
      const done = await inPgTransaction(this.#prisma.$pool, async (client) => {
        const row = await this.#lockedLogRow(client, reservationId);
        return row?.status === "RESERVED" && (await this.#restoreHold(storeId, reservationId, row));
      });
      if (done) restored += 1;
    }
    return restored;
  }

  // ---------------------------------------------------------------- release

  async release(reservationId: string, reason: ReleaseReason): Promise<ReleaseOutcome> {
    const storeId = storeOfReservation(reservationId);
    if (!storeId) return "UNKNOWN";
    const target = logStatusFor(reason);
    let [code, from] = await this.#releaseInRedis(storeId, reservationId, "ANY", "");
    if (code === ReleaseCode.Missing && (await this.#recoverIfLost())) {
      [code, from] = await this.#releaseInRedis(storeId, reservationId, "ANY", "");
    }
    if (code === ReleaseCode.Missing) {
      const row = await this.#logRow(reservationId);
      if (!row) return "UNKNOWN";
      if (row.status === "RESERVED") {
        // A hold Redis does not know is not in its counters: close the log row only.
        const closed = await this.#closeLog(reservationId, "RESERVED", target);
        return closed ? "RELEASED" : "ALREADY_RELEASED";
      }
      if (row.status !== "CONFIRMED") return "ALREADY_RELEASED";
      // A sale whose record expired: the script restores its units once and leaves a tombstone.
      [code, from] = await this.#releaseInRedis(storeId, reservationId, "ANY", JSON.stringify(row.products));
    }
    // The PostgreSQL half runs on ALREADY_RELEASED too, so a retry completes it.
    await this.#releaseInPg(reservationId, from === "CONFIRMED" ? "CONFIRMED" : "HELD", target);
    return code === ReleaseCode.ReleasedFromHeld || code === ReleaseCode.ReleasedFromConfirmed
      ? "RELEASED"
      : "ALREADY_RELEASED";
  }

  #releaseInRedis(
    storeId: string,
    reservationId: string,
    mode: "ANY" | "HELD_ONLY",
    fallbackItems: string,
  ): Promise<[number, string]> {
    const keys = storeKeys(this.#prefix, storeId);
    return this.#commands.release(
      [keys.available, keys.reserved, keys.record(reservationId), keys.expiries],
      [reservationId, this.#finalTtlMs, mode, fallbackItems],
    );
  }

  /**
   * The PostgreSQL half of a release. From a hold: RESERVED -> target. From a sale: if the
   * confirm's PostgreSQL half already ran (CONFIRMED), on_hand += q; if it has not (still
   * RESERVED), close the row without touching on_hand, and that confirm half then finds
   * nothing to do. Either way Redis and PostgreSQL agree.
   */
  async #releaseInPg(reservationId: string, from: "HELD" | "CONFIRMED", target: "RELEASED" | "EXPIRED"): Promise<void> {
    if (from === "HELD") {
      await this.#closeLog(reservationId, "RESERVED", target);
      return;
    }
    await inPgTransaction(this.#prisma.$pool, async (client) => {
      const row = await this.#lockedLogRow(client, reservationId);
      if (!row || (row.status !== "RESERVED" && row.status !== "CONFIRMED")) return;
      await client.query(
        `UPDATE p_stock_reservation_log SET status = 'RELEASED', updated_at = now() WHERE reservation_id = $1`,
        [reservationId],
      );
      if (row.status === "CONFIRMED") await adjustOnHand(client, row.products, +1);
    });
  }

  async #closeLog(reservationId: string, from: LogStatus, to: LogStatus): Promise<boolean> {
    const { rowCount } = await this.#prisma.$pool.query({
      name: "stock_close_log",
      text: `UPDATE p_stock_reservation_log SET status = $3, updated_at = now()
             WHERE reservation_id = $1 AND status = $2`,
      values: [reservationId, from, to],
    });
    return (rowCount ?? 0) > 0;
  }

  async #logRow(reservationId: string): Promise<{ status: LogStatus; products: StockLine[] } | undefined> {
    const { rows } = await this.#prisma.$pool.query<{ status: LogStatus; products: StockLine[] }>({
      name: "stock_log_row",
      text: `SELECT status, products FROM p_stock_reservation_log WHERE reservation_id = $1`,
      values: [reservationId],
    });
    return rows[0];
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
      else await this.#commands.defer([keys.record(id), keys.expiries], [id, Number(deadline) || now.getTime()]);
    }
    if (held.length === 0) return [];

    const statuses = await this.#logStatuses(held.map((h) => h.id));
    const paid = await this.#isOrderPaid([...new Set(held.map((h) => h.orderId))]);
    const released: string[] = [];
    for (const { id, orderId } of held) {
      const status = statuses.get(id);
      if (status === "CONFIRMED") {
        // PostgreSQL sold it but Redis still holds it (a rebuild raced a confirm): finish in Redis.
        await this.#confirmInRedis(storeId, id);
        continue;
      }
      if (status === "RELEASED" || status === "EXPIRED") {
        await this.#releaseInRedis(storeId, id, "HELD_ONLY", "");
        continue;
      }
      if (paid.has(orderId)) {
        // Paid: the confirm is on its way; look again one grace period later, behind older holds.
        await this.#commands.defer([keys.record(id), keys.expiries], [id, now.getTime()]);
        continue;
      }
      // The script decides: with several sweepers, exactly one sees ReleasedFromHeld.
      const [code] = await this.#releaseInRedis(storeId, id, "HELD_ONLY", "");
      if (code === ReleaseCode.ReleasedFromHeld) {
        await this.#closeLog(id, "RESERVED", "EXPIRED");
        released.push(id);
      } else if (code === ReleaseCode.AlreadyReleased) {
        await this.#closeLog(id, "RESERVED", "EXPIRED"); // finish a sweeper that died between halves
      }
    }
    return released;
  }

  /**
   * PostgreSQL side: RESERVED rows past deadline + grace that Redis does not hold. No record:
   * the hold is not in the counters (e.g. created before a data loss), so only the row closes.
   * A final record: a call died between its two halves, so finish the PostgreSQL half.
   */
  async #sweepLog(cutoff: number, limit: number): Promise<string[]> {
    const rows = await this.#prisma.$queryRawUnsafe<{ reservation_id: string; store_id: string; order_id: string }[]>(
      `SELECT reservation_id, store_id::text AS store_id, order_id::text AS order_id FROM p_stock_reservation_log
       WHERE status = 'RESERVED' AND expires_at <= $1::timestamptz
       ORDER BY expires_at LIMIT $2`,
      new Date(cutoff).toISOString(),
      limit,
    );
    // A paid order's hold lost with Redis's data is its confirm's to restore, not ours to expire.
    const paid = await this.#isOrderPaid([...new Set(rows.map((r) => r.order_id))]);
    const expired: string[] = [];
    for (const row of rows) {
      if (paid.has(row.order_id)) continue;
      const keys = storeKeys(this.#prefix, row.store_id);
      const [state, from] = await this.#redis.hmget(keys.record(row.reservation_id), "state", "from");
      if (state === "HELD") continue; // the Redis sweep's job
      if (state === "CONFIRMED") await this.#confirmInPg(row.reservation_id);
      else if (state === "RELEASED") {
        await this.#releaseInPg(row.reservation_id, from === "CONFIRMED" ? "CONFIRMED" : "HELD", "RELEASED");
      } else if (await this.#closeLog(row.reservation_id, "RESERVED", "EXPIRED")) {
        expired.push(row.reservation_id);
      }
    }
    return expired;
  }

  async #logStatuses(reservationIds: string[]): Promise<Map<string, LogStatus>> {
    const rows = await this.#prisma.$queryRawUnsafe<{ reservation_id: string; status: LogStatus }[]>(
      `SELECT reservation_id, status FROM p_stock_reservation_log
       WHERE reservation_id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      JSON.stringify(reservationIds),
    );
    return new Map(rows.map((r) => [r.reservation_id, r.status]));
  }

  // ---------------------------------------------------------------- stock numbers

  async getStock(storeId: string, productId: string): Promise<StockLevel | null> {
    const keys = storeKeys(this.#prefix, storeId);
    const [available, reserved] = await this.#commands.getStock([keys.available, keys.reserved], [productId]);
    if (available === -1) return null;
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
    const keys = storeKeys(this.#prefix, storeId);
    let delta: number | undefined;
    try {
      return await this.#prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRawUnsafe<{ on_hand: number; store_id: string }[]>(
          `SELECT on_hand, store_id::text AS store_id FROM p_product WHERE id = $1::uuid FOR UPDATE`,
          productId,
        );
        const row = rows[0];
        if (!row || row.store_id !== storeId) {
          throw new StockError("UNKNOWN_PRODUCT", `no product ${productId} in store ${storeId}`);
        }
        // The delta under the row lock commutes with confirm/release halves still in flight.
        const change = onHand - row.on_hand;
        const [code, reserved] = await this.#commands.setOnHand(
          [keys.available, keys.reserved],
          [productId, onHand, String(change)],
        );
        if (code === SetOnHandCode.StockHeld) return { ok: false, code: "STOCK_HELD", reserved } as const;
        delta = change;
        await tx.$executeRawUnsafe(
          `UPDATE p_product SET on_hand = $2, updated_at = now() WHERE id = $1::uuid`,
          productId,
          onHand,
        );
        return { ok: true } as const;
      });
    } catch (error) {
      // The commit failed after Redis took the change: take it back (best effort; stock:rebuild otherwise).
      if (delta !== undefined && delta !== 0) {
        await this.#commands.setOnHand([keys.available, keys.reserved], [productId, 0, String(-delta)]).catch(() => {});
      }
      throw error;
    }
  }

  // ---------------------------------------------------------------- rebuild

  async rebuild(): Promise<RebuildSummary> {
    const started = new Date();
    const stores = await this.#prisma.$queryRawUnsafe<{ store_id: string }[]>(
      `SELECT store_id::text AS store_id FROM p_product
       UNION SELECT store_id::text FROM p_stock_reservation_log WHERE status = 'RESERVED'`,
    );
    const summary: RebuildSummary = { stores: 0, products: 0, holds: 0 };
    for (const { store_id: storeId } of stores) {
      const [products, holds] = await this.#rebuildStore(storeId);
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
  #rebuildStore(storeId: string): Promise<[number, number]> {
    return this.#prisma.$transaction(
      async (tx) => {
        const products = await tx.$queryRawUnsafe<{ id: string; on_hand: number }[]>(
          `SELECT id::text AS id, on_hand FROM p_product WHERE store_id = $1::uuid ORDER BY id FOR SHARE`,
          storeId,
        );
        const holds = await tx.$queryRawUnsafe<
          { reservation_id: string; order_id: string; products: StockLine[]; expires_at: Date }[]
        >(
          `SELECT reservation_id, order_id::text AS order_id, products, expires_at
           FROM p_stock_reservation_log WHERE store_id = $1::uuid AND status = 'RESERVED'`,
          storeId,
        );
        const held = new Map<string, number>();
        for (const hold of holds) {
          for (const item of hold.products) held.set(item.productId, (held.get(item.productId) ?? 0) + item.quantity);
        }
        const args: (string | number)[] = [products.length];
        for (const p of products) args.push(p.id, p.on_hand - (held.get(p.id) ?? 0));
        for (const h of holds) {
          args.push(h.reservation_id, h.order_id, JSON.stringify(h.products), new Date(h.expires_at).getTime());
        }
        await this.#redis.sadd(this.#global.stores, storeId);
        const keys = storeKeys(this.#prefix, storeId);
        return this.#commands.rebuildStore([keys.available, keys.reserved, keys.expiries, keys.recordPrefix], args);
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
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
          await this.#commands.unlock([this.#global.rebuildLock], [token]);
        }
      }
      await sleep(50);
      if ((await this.#redis.exists(this.#global.epoch)) === 1) return "WAITED";
      if (Date.now() > giveUp) throw new StockError("REBUILD_TIMEOUT", "gave up waiting for the stock rebuild");
    }
  }
}

/** RESERVED -> CONFIRMED and on_hand -= q, once: only the call that changes the row moves on_hand. */
async function confirmLogRow(client: PgClient, reservationId: string): Promise<boolean> {
  const { rows } = await client.query<{ products: StockLine[] }>({
    name: "stock_confirm_log",
    text: `UPDATE p_stock_reservation_log SET status = 'CONFIRMED', updated_at = now()
           WHERE reservation_id = $1 AND status = 'RESERVED' RETURNING products`,
    values: [reservationId],
  });
  const row = rows[0];
  if (!row) return false;
  await adjustOnHand(client, row.products, -1);
  return true;
}

/** Moves on_hand for each line, in product id order so concurrent transactions lock alike. */
async function adjustOnHand(client: PgClient, products: StockLine[], sign: 1 | -1): Promise<void> {
  const sorted = [...products].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  for (const { productId, quantity } of sorted) {
    await client.query({
      name: "stock_adjust_on_hand",
      text: `UPDATE p_product SET on_hand = on_hand + $2, updated_at = now() WHERE id = $1::uuid`,
      values: [productId, sign * quantity],
    });
  }
}
