export type { HoldOutcome, StockReservationService } from "./stock-reservation-service.ts";
export {
  RedisStockReservationService,
  type RedisStockReservationServiceOptions,
} from "./redis-stock-reservation-service.ts";
export { createStockService, type StockServiceHandle } from "./create-stock-service.ts";
export { PAID_ORDER_STATUSES, paidOrdersFromDatabase, type IsOrderPaid } from "./order-paid.ts";
export { StockError, type StockErrorCode } from "./stock-error.ts";
export { globalKeys, newReservationId, normalizePrefix, storeKeys, storeOfReservation, type StoreKeys } from "./keys.ts";
export { stockCommands, stockScriptFiles, type RedisClient, type StockCommands } from "./commands.ts";
export { ReservationLogWriter, type ReservationLogRow } from "./reservation-log-writer.ts";
export * from "./script-codes.ts";
export type * from "./types.ts";
