export { createDatabase, type Database } from "./database.ts";
export { auditRepository } from "./audit-repository.ts";
export { pingDatabase } from "./database-ping.ts";
export {
  ABANDONED_AFTER_MS,
  IDEMPOTENCY_TTL_MS,
  idempotencyRepository,
  type IdempotencyCompletion,
  type StoredIdempotentResponse,
} from "./idempotency-repository.ts";
export { orderRepository, InvalidCursor } from "./order-repository.ts";
export { pgOrderStore } from "./order-store.ts";
export { pgOutbox } from "./outbox.ts";
export { paymentRepository, type Payment, type PaymentStatus } from "./payment-repository.ts";
export { productRepository, type Product } from "./product-repository.ts";
export { inPgTransaction, type PgClient } from "./pg-transaction.ts";
export { OrderWrite } from "./order-write.ts";
export { pgReservationLedger } from "./reservation-ledger.ts";
export type { NewReservationLogRow } from "./reservation-log-row.ts";
export { captureRepository } from "./capture-repository.ts";
export { sandboxLedgerRepository } from "./sandbox-ledger-repository.ts";
export { readWebhookSubject } from "./webhook-subject-reader.ts";
