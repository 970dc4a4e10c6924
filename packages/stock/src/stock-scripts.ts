import type { StockLine } from "@order-flow/domain";
import { stockCommands, type RedisClient, type StockCommands } from "./commands.ts";
import { globalKeys, normalizePrefix, storeKeys } from "./keys.ts";
import { ReserveCode, UnlockCode, type ConfirmCode, type DeferCode, type ReleaseCode, type SetOnHandCode } from "./script-codes.ts";

export type StockScriptsOptions = {
  redis: RedisClient;
  /** Key prefix, e.g. "of" or "test:<uuid>:"; a ":" is appended when missing. */
  prefix: string;
  /** How long confirmed/released records stay, so late duplicate calls are recognised. */
  finalRecordTtlMs: number;
};

export type ReserveReply =
  | { code: ReserveCode.Held }
  | { code: ReserveCode.DuplicateId }
  | { code: ReserveCode.OutOfStock | ReserveCode.UnknownProduct; productId: string; requested: number; available: number };

/** `from`: the state the reservation was released from; null when there was no record. */
export type ReleaseReply = { code: ReleaseCode; from: "HELD" | "CONFIRMED" | null };

export type SetOnHandReply = { code: SetOnHandCode; reserved: number };

export type ReleaseMode = "ANY" | "HELD_ONLY";

/** A live hold as the rebuild writes it back. */
export type RebuildHold = { reservationId: string; orderId: string; products: StockLine[]; expiresAt: Date };

/**
 * The Lua scripts as domain calls: each method packs its script's KEYS (all under the
 * store's hash tag, so a Cluster keeps one slot) and ARGV in one place, in the order the
 * script's header documents, and decodes the reply with the codes of script-codes.ts.
 */
export class StockScripts {
  readonly #commands: StockCommands;
  readonly #prefix: string;
  readonly #finalTtlMs: number;
  readonly #rebuildLock: string;

  constructor(options: StockScriptsOptions) {
    this.#commands = stockCommands(options.redis);
    this.#prefix = normalizePrefix(options.prefix);
    this.#finalTtlMs = options.finalRecordTtlMs;
    this.#rebuildLock = globalKeys(this.#prefix).rebuildLock;
  }

  /** Holds every item or none; `items` distinct and sorted (they are kept in the record as given). */
  async reserve(
    storeId: string,
    reservationId: string,
    orderId: string,
    items: StockLine[],
    expiresAt: Date,
  ): Promise<ReserveReply> {
    const keys = storeKeys(this.#prefix, storeId);
    const args: (string | number)[] = [reservationId, orderId, expiresAt.getTime(), JSON.stringify(items)];
    for (const item of items) args.push(item.productId, item.quantity);
    const [code, productId, requested, available] = await this.#commands.reserve(
      [keys.available, keys.reserved, keys.record(reservationId), keys.expiries],
      args,
    );
    if (code === ReserveCode.Held || code === ReserveCode.DuplicateId) return { code };
    return { code, productId, requested, available };
  }

  async confirm(storeId: string, reservationId: string): Promise<ConfirmCode> {
    const keys = storeKeys(this.#prefix, storeId);
    return this.#commands.confirm(
      [keys.reserved, keys.record(reservationId), keys.expiries],
      [reservationId, this.#finalTtlMs],
    );
  }

  /**
   * `saleItems`: the products of a sale whose record is gone (PostgreSQL says CONFIRMED), so
   * the script gives them back once and leaves a tombstone.
   */
  async release(
    storeId: string,
    reservationId: string,
    mode: ReleaseMode,
    saleItems?: StockLine[],
  ): Promise<ReleaseReply> {
    const keys = storeKeys(this.#prefix, storeId);
    const [code, from] = await this.#commands.release(
      [keys.available, keys.reserved, keys.record(reservationId), keys.expiries],
      [reservationId, this.#finalTtlMs, mode, saleItems ? JSON.stringify(saleItems) : ""],
    );
    return { code, from: from === "HELD" || from === "CONFIRMED" ? from : null };
  }

  /** Moves a held reservation's next sweep time; one no longer held just leaves the index. */
  async defer(storeId: string, reservationId: string, nextSweepAtMs: number): Promise<DeferCode> {
    const keys = storeKeys(this.#prefix, storeId);
    return this.#commands.defer([keys.record(reservationId), keys.expiries], [reservationId, nextSweepAtMs]);
  }

  /** One product's counters read atomically; null when Redis does not know the product. */
  async getStock(storeId: string, productId: string): Promise<{ available: number; reserved: number } | null> {
    const keys = storeKeys(this.#prefix, storeId);
    const [available, reserved] = await this.#commands.getStock([keys.available, keys.reserved], [productId]);
    return available === -1 ? null : { available, reserved };
  }

  /** `delta`: the change PostgreSQL computed under its row lock; null to set `onHand` absolutely. */
  async setOnHand(storeId: string, productId: string, onHand: number, delta: number | null): Promise<SetOnHandReply> {
    const keys = storeKeys(this.#prefix, storeId);
    const [code, reserved] = await this.#commands.setOnHand(
      [keys.available, keys.reserved],
      [productId, onHand, delta === null ? "" : String(delta)],
    );
    return { code, reserved };
  }

  /** Replaces one store's counters and live holds. */
  async rebuildStore(
    storeId: string,
    products: { productId: string; available: number }[],
    holds: RebuildHold[],
  ): Promise<{ products: number; holds: number }> {
    const keys = storeKeys(this.#prefix, storeId);
    const args: (string | number)[] = [products.length];
    for (const p of products) args.push(p.productId, p.available);
    for (const h of holds) args.push(h.reservationId, h.orderId, JSON.stringify(h.products), h.expiresAt.getTime());
    const [written, held] = await this.#commands.rebuildStore(
      [keys.available, keys.reserved, keys.expiries, keys.recordPrefix],
      args,
    );
    return { products: written, holds: held };
  }

  /** Lets go of the rebuild lock if `token` still owns it. */
  async unlockRebuild(token: string): Promise<boolean> {
    return (await this.#commands.unlock([this.#rebuildLock], [token])) === UnlockCode.Released;
  }
}
