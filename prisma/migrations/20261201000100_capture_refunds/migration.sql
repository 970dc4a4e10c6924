-- Each capture the PG reports (one pgTransactionId) and its refund, on the order system's side.
-- A payment may be captured more than once (a repeated or late PAID): the capture that paid the
-- order is `kept`; every other one is refunded on its own, with its own refund id.
CREATE TABLE "p_payment_capture" (
    "pg_transaction_id" TEXT NOT NULL,
    "payment_id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "kept" BOOLEAN NOT NULL,
    "webhook_event_id" TEXT NOT NULL,
    "captured_at" TIMESTAMPTZ(3) NOT NULL,
    "refund_id" TEXT,
    "refunded_amount" BIGINT,
    "refunded_at" TIMESTAMPTZ(3),

    CONSTRAINT "p_payment_capture_pkey" PRIMARY KEY ("pg_transaction_id")
);

CREATE INDEX "p_payment_capture_payment_idx" ON "p_payment_capture"("payment_id");
CREATE INDEX "p_payment_capture_order_idx" ON "p_payment_capture"("order_id");

-- The sandbox PG's own books (what a PG's dashboard shows): its captures and its refunds.
-- Written by the API (a capture, when the sandbox sends a PAID webhook) and by workers (a
-- refund, when the sandbox carries it out), so it lives where both processes reach it.
CREATE TABLE "p_sandbox_capture" (
    "pg_transaction_id" TEXT NOT NULL,
    "payment_id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "captured_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "p_sandbox_capture_pkey" PRIMARY KEY ("pg_transaction_id")
);

CREATE INDEX "p_sandbox_capture_payment_idx" ON "p_sandbox_capture"("payment_id", "captured_at");

CREATE TABLE "p_sandbox_refund" (
    "refund_id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "pg_transaction_id" TEXT NOT NULL,
    "payment_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "p_sandbox_refund_pkey" PRIMARY KEY ("refund_id")
);

CREATE UNIQUE INDEX "p_sandbox_refund_idempotency_key_key" ON "p_sandbox_refund"("idempotency_key");
CREATE UNIQUE INDEX "p_sandbox_refund_pg_transaction_id_key" ON "p_sandbox_refund"("pg_transaction_id");
CREATE INDEX "p_sandbox_refund_payment_idx" ON "p_sandbox_refund"("payment_id", "created_at");
