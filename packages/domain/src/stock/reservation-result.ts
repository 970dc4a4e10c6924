/** One product line of a reservation. */
export type StockLine = { productId: string; quantity: number };

export type ReservationFailureReason = "OUT_OF_STOCK" | "UNKNOWN_PRODUCT";

/** What the stock port answers to "reserve these lines": all held, or the first line that failed. */
export type ReservationResult =
  | { ok: true; reservationId: string; expiresAt: Date }
  | {
      ok: false;
      reason: ReservationFailureReason;
      productId: string;
      requested: number;
      available: number;
    };
