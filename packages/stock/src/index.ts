export type { HoldOutcome, StockReservationService } from "./stock-reservation-service.ts";
export {
  RedisStockReservationService,
  type RedisStockReservationServiceOptions,
} from "./redis-stock-reservation-service.ts";
export { StockError, type StockErrorCode } from "./stock-error.ts";
export type * from "./types.ts";
