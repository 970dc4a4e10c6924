import type { StockReservationService } from "@order-flow/stock";

/** The part of the stock service the worker uses (each call idempotent on its own). */
export type StockPort = Pick<StockReservationService, "confirmHold" | "release" | "sweepExpired"> &
  Partial<Pick<StockReservationService, "ensureIntact">>;
