-- The W3C trace context (traceparent, tracestate as JSON) of the work that wrote the event, so
-- the job it becomes continues the same trace. NULL when tracing is off.
ALTER TABLE "p_outbox_event" ADD COLUMN "trace_context" TEXT;

-- A webhook finds its order's trace (to link to it) by order id; partial, so an untraced
-- deployment maintains no entry at all.
CREATE INDEX "p_outbox_event_order_traced_idx" ON "p_outbox_event"("order_id") WHERE "trace_context" IS NOT NULL;
