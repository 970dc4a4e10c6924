-- CreateTable
CREATE TABLE "p_order" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "store_id" UUID NOT NULL,
    "order_number" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "total_amount" INTEGER NOT NULL,
    "reservation_id" TEXT,
    "payment_id" UUID,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "confirmed_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "failure_reason" TEXT,
    "refund_id" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "p_order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "p_order_item" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "product_id" UUID NOT NULL,
    "product_name" TEXT NOT NULL,
    "unit_price" INTEGER NOT NULL,
    "quantity" INTEGER NOT NULL,

    CONSTRAINT "p_order_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "p_order_audit" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "order_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "change_summary" TEXT NOT NULL,
    "actor_user_id" UUID,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "p_order_audit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "p_stock_reservation_log" (
    "id" UUID NOT NULL,
    "reservation_id" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "store_id" UUID NOT NULL,
    "products" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "p_stock_reservation_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "p_product" (
    "id" UUID NOT NULL,
    "store_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "price" INTEGER NOT NULL,
    "on_hand" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "p_product_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "p_payment" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "amount" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "pg_transaction_id" TEXT,
    "refund_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "p_payment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "p_outbox_event" (
    "id" UUID NOT NULL,
    "order_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "available_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "p_outbox_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "p_idempotency_key" (
    "user_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "p_idempotency_key_pkey" PRIMARY KEY ("user_id","key")
);

-- CreateTable
CREATE TABLE "p_payment_webhook_event" (
    "event_id" TEXT NOT NULL,
    "payment_id" TEXT,
    "order_id" TEXT,
    "status" TEXT NOT NULL,
    "amount" INTEGER,
    "outcome" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB NOT NULL,

    CONSTRAINT "p_payment_webhook_event_pkey" PRIMARY KEY ("event_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "p_order_order_number_key" ON "p_order"("order_number");

-- CreateIndex
CREATE INDEX "p_order_user_created_idx" ON "p_order"("user_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "p_order_store_created_idx" ON "p_order"("store_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "p_order_created_idx" ON "p_order"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "p_order_status_expires_idx" ON "p_order"("status", "expires_at");

-- CreateIndex
CREATE INDEX "p_order_item_order_idx" ON "p_order_item"("order_id");

-- CreateIndex
CREATE UNIQUE INDEX "p_order_audit_event_id_key" ON "p_order_audit"("event_id");

-- CreateIndex
CREATE INDEX "p_order_audit_order_idx" ON "p_order_audit"("order_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "p_stock_reservation_log_reservation_id_key" ON "p_stock_reservation_log"("reservation_id");

-- CreateIndex
CREATE INDEX "p_stock_reservation_log_status_expires_idx" ON "p_stock_reservation_log"("status", "expires_at");

-- CreateIndex
CREATE INDEX "p_stock_reservation_log_order_idx" ON "p_stock_reservation_log"("order_id");

-- CreateIndex
CREATE INDEX "p_product_store_idx" ON "p_product"("store_id");

-- CreateIndex
CREATE INDEX "p_payment_order_idx" ON "p_payment"("order_id");

-- CreateIndex
CREATE INDEX "p_outbox_event_pending_idx" ON "p_outbox_event"("sent_at", "created_at");

-- CreateIndex
CREATE INDEX "p_idempotency_key_expires_idx" ON "p_idempotency_key"("expires_at");

-- AddForeignKey
ALTER TABLE "p_order_item" ADD CONSTRAINT "p_order_item_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "p_order"("id") ON DELETE CASCADE ON UPDATE CASCADE;
