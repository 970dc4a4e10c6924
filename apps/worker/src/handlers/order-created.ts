import type { Handler } from "../handler.ts";
import { scheduleOrderTimeout } from "../order-timeout-job.ts";

/**
 * Schedules the payment timeout at expiresAt (jobId timeout-<orderId>: a repeat adds nothing),
 * from the event alone: the order row was written in the statement that raised it, and the
 * timeout handler judges the order when it fires (a paid or cancelled order is left as it is).
 */
export const handleOrderCreated: Handler<"OrderCreated"> = async (event, ctx) => {
  await scheduleOrderTimeout(ctx, event.orderId, new Date(event.expiresAt), event.orderNumber);
};
