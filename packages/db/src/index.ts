export { createPrisma, type PrismaClient, type Db, type Prisma } from "./client.ts";
export { auditRepository, type AuditEntryView } from "./audit-repository.ts";
export { pingDatabase } from "./database-ping.ts";
export {
  ABANDONED_AFTER_MS,
  IDEMPOTENCY_TTL_MS,
  idempotencyRepository,
  type IdempotencyCompletion,
  type StoredIdempotentResponse,
} from "./idempotency-repository.ts";
export { encodeCursor, decodeCursor, type OrderCursor } from "./order-cursor.ts";
export {
  orderRepository,
  InvalidCursor,
  type OrderListQuery,
  type TransitionOutcome,
} from "./order-repository.ts";
export { outboxRepository, type OutboxRow } from "./outbox-repository.ts";
export { onOutboxCommit, type CommittedEvents, type OutboxSink } from "./outbox-sink.ts";
export { paymentRepository, type Payment, type PaymentStatus } from "./payment-repository.ts";
export { productRepository, type Product } from "./product-repository.ts";
export { inPgTransaction, type PgClient } from "./pg-transaction.ts";
export { saveTransition } from "./transition-writer.ts";
export { OrderWrite, type NewPayment, type PaymentChange, type WebhookEventRecord } from "./order-write.ts";
export { pgReservationLedger } from "./reservation-ledger.ts";
export type { NewReservationLogRow } from "./reservation-log-row.ts";
export { captureRepository, type NewPaymentCapture, type PaymentCapture } from "./capture-repository.ts";
export {
  sandboxLedgerRepository,
  type SandboxCaptureRow,
  type SandboxLedgerRepository,
  type SandboxRefundRow,
} from "./sandbox-ledger-repository.ts";
export { readWebhookSubject, type WebhookSubject } from "./webhook-subject-reader.ts";
