import type { StockLine } from "@order-flow/domain";

export type { ReservationResult, StockLine } from "@order-flow/domain";

export type ReserveInput = {
  orderId: string;
  storeId: string;
  items: StockLine[];
  holdSeconds: number;
  /** The clock of the caller; the deadline is now + holdSeconds. */
  now?: Date;
};

export type ReleaseReason = "CANCELLED" | "TIMEOUT" | "REJECTED" | "EXPIRED" | "ROLLBACK";

export type ConfirmOutcome = "CONFIRMED" | "ALREADY_CONFIRMED" | "NOT_HELD";

export type ReleaseOutcome = "RELEASED" | "ALREADY_RELEASED" | "UNKNOWN";

export type StockLevel = { onHand: number; available: number; reserved: number };

export type SetOnHandResult = { ok: true } | { ok: false; code: "STOCK_HELD"; reserved: number };

export type RebuildSummary = { stores: number; products: number; holds: number };

export type SweepResult = { released: string[] };
