import type { StockLine } from "../stock/reservation-result.ts";

/** The durable status of a reservation (p_stock_reservation_log). */
export type ReservationLogStatus = "RESERVED" | "CONFIRMED" | "RELEASED" | "EXPIRED";

/** The durable RESERVED copy of a Redis hold, written with its order (OrderWrite.insertReservationLog). */
export type NewReservationLogRow = {
  id: string;
  reservationId: string;
  orderId: string;
  storeId: string;
  products: StockLine[];
  expiresAt: Date;
  createdAt: Date;
};

/** A reservation as the ledger keeps it. */
export type ReservationLogEntry = {
  reservationId: string;
  orderId: string;
  storeId: string;
  products: StockLine[];
  status: ReservationLogStatus;
  expiresAt: Date;
};

/** What a rebuild of one store's Redis state starts from. */
export type StoreStockSnapshot = {
  products: { productId: string; onHand: number }[];
  /** every RESERVED entry of the store (the live holds) */
  holds: ReservationLogEntry[];
};

/** setOnHand's answer: the product is missing (or in another store), or what `apply` said. */
export type OnHandChange<T> = { found: false } | { found: true; result: T };

/**
 * The durable side of the stock holds: every reservation's log row and each product's
 * on_hand (the units physically in stock). Redis is the arbiter of live holds; this is what
 * it is rebuilt from. Every write is conditional on the row's status, so repeating one
 * changes nothing, and on_hand moves only with the status change that implies it.
 */
export interface ReservationLedger {
  find(reservationId: string): Promise<ReservationLogEntry | null>;
  statuses(reservationIds: string[]): Promise<Map<string, ReservationLogStatus>>;
  /** RESERVED -> CONFIRMED and on_hand -= q, once: only the call that changes the row moves on_hand. */
  confirm(reservationId: string): Promise<boolean>;
  /** `from` -> `to` when the row is still at `from`; on_hand untouched. */
  close(reservationId: string, from: ReservationLogStatus, to: ReservationLogStatus): Promise<boolean>;
  /**
   * A sale given back (its Redis record went CONFIRMED -> RELEASED). Under the row lock: a
   * CONFIRMED row becomes RELEASED and on_hand += q; a row still RESERVED (the sale's durable
   * half never ran) becomes RELEASED without touching on_hand. Anything else: nothing.
   */
  releaseSale(reservationId: string): Promise<void>;
  /**
   * Runs `body` with the row locked (FOR UPDATE, one transaction; null when there is no row):
   * releases and sweeps of that reservation wait for its outcome.
   */
  withLockedEntry<T>(reservationId: string, body: (entry: ReservationLogEntry | null) => Promise<T>): Promise<T>;
  /** RESERVED entries whose deadline is at or before `cutoff`, oldest first. */
  dueHolds(cutoff: Date, limit: number): Promise<ReservationLogEntry[]>;
  /** RESERVED entries created at or after `since`. */
  recentHolds(since: Date): Promise<ReservationLogEntry[]>;
  /** Of these orders, those at or after a completed payment (PAID_STATUSES): their holds are never swept. */
  paidOrders(orderIds: string[]): Promise<Set<string>>;
  /** Stores with products or live holds. */
  stores(): Promise<string[]>;
  /**
   * Reads one store's products (locked FOR SHARE, so setOnHand waits) and live holds, and
   * runs `write` before the lock is let go.
   */
  withStoreSnapshot<T>(storeId: string, write: (snapshot: StoreStockSnapshot) => Promise<T>): Promise<T>;
  /**
   * Sets on_hand under the product's row lock. `apply` gets the change (new − current) and
   * says whether to write it: the change computed under the lock commutes with confirm and
   * release halves in flight.
   */
  setOnHand<T>(
    storeId: string,
    productId: string,
    onHand: number,
    apply: (change: number) => Promise<{ write: boolean; result: T }>,
  ): Promise<OnHandChange<T>>;
}
