import { OrderWrite, type Database } from "@order-flow/db";
import {
  RedisStockReservationService,
  type RedisStockReservationServiceOptions,
} from "../../src/redis-stock-reservation-service.ts";
import type { ConfirmOutcome, ReservationResult, ReserveInput } from "../../src/types.ts";

/**
 * The service driven the way production drives it: the hold, then its log row written by
 * the order's statement (the API: OrderWrite.insertReservationLog, releasing the hold if the
 * statement fails); the Redis confirm, then the sale's durable half in the order's statement
 * (the PaymentCompleted handler: OrderWrite.confirmReservation). Here the statements carry
 * only those parts.
 */
export class ProductionPathStock extends RedisStockReservationService {
  readonly #db: Database;

  constructor(options: RedisStockReservationServiceOptions, db: Database) {
    super(options);
    this.#db = db;
  }

  async reserve(input: ReserveInput): Promise<ReservationResult> {
    const { result, logRow } = await this.holdOnly(input);
    if (!logRow) return result;
    try {
      await new OrderWrite().insertReservationLog(logRow).run(this.#db);
    } catch (error) {
      await this.release(logRow.reservationId, "ROLLBACK").catch(() => {});
      throw error;
    }
    return result;
  }

  async confirm(reservationId: string): Promise<ConfirmOutcome> {
    const outcome = await this.confirmHold(reservationId);
    if (outcome !== "NOT_HELD") await new OrderWrite().confirmReservation(reservationId).run(this.#db);
    return outcome;
  }
}
