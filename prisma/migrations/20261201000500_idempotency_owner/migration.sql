-- Who holds an idempotency claim: a random token written by the claim and replaced when a
-- twin takes an abandoned claim over. The order's own statement stores the response only
-- while the claim is still this request's, so a request that lost its claim makes no order.
ALTER TABLE "p_idempotency_key" ADD COLUMN "owner_token" UUID;
