-- Money is BIGINT (minor units): an order of two items at the price limit overflowed INTEGER,
-- and a PG may report any captured amount. The API's limits keep every value far below 2^53.
ALTER TABLE "p_order" ALTER COLUMN "total_amount" SET DATA TYPE BIGINT;
ALTER TABLE "p_order_item" ALTER COLUMN "unit_price" SET DATA TYPE BIGINT;
ALTER TABLE "p_product" ALTER COLUMN "price" SET DATA TYPE BIGINT;
ALTER TABLE "p_payment" ALTER COLUMN "amount" SET DATA TYPE BIGINT;
ALTER TABLE "p_payment_webhook_event" ALTER COLUMN "amount" SET DATA TYPE BIGINT;
