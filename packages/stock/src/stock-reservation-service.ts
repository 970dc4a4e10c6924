import type { NewReservationLogRow } from "@order-flow/domain";
import type {
  ConfirmOutcome,
  RebuildSummary,
  ReleaseOutcome,
  ReleaseReason,
  ReservationResult,
  ReserveInput,
  SetOnHandResult,
  StockLevel,
  SweepResult,
} from "./types.ts";

/** The stock port the API and the workers use. Every method is safe to retry. */
export interface StockReservationService {
  /**
   * Holds every item or none (on failure names the first short product). The caller writes
   * `logRow`, the durable copy, in its order's statement (OrderWrite.insertReservationLog).
   */
  holdOnly(input: ReserveInput): Promise<HoldOutcome>;
  /**
   * A hold becomes a sale in Redis. The caller writes the durable half in its order's
   * statement (OrderWrite.confirmReservation: log CONFIRMED, on_hand −= q).
   */
  confirmHold(reservationId: string): Promise<ConfirmOutcome>;
  /** A hold, or a sale being undone, goes back to available (a sale also back to on_hand). */
  release(reservationId: string, reason: ReleaseReason): Promise<ReleaseOutcome>;
  /** Releases holds past deadline + grace whose order was never paid; repairs half-done writes. */
  sweepExpired(now: Date, limit: number): Promise<SweepResult>;
  getStock(storeId: string, productId: string): Promise<StockLevel | null>;
  /** Sets the units physically in stock; refused while more than that is held. */
  setOnHand(storeId: string, productId: string, onHand: number): Promise<SetOnHandResult>;
  /** Replaces every store's Redis state with what PostgreSQL says. */
  rebuild(): Promise<RebuildSummary>;
  /** Rebuilds (once across processes) when Redis lost its data; true if this call rebuilt. */
  ensureIntact(): Promise<boolean>;
}

export type HoldOutcome = { result: ReservationResult; logRow: NewReservationLogRow | null };
