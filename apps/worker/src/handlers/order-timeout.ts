import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";
import { settleOrderTimeout } from "../order-timeout.ts";

/** The delayed job at the deadline. Fired a little early (clock skew), it waits for the deadline. */
export const handleOrderTimeout: Handler<"OrderTimeout"> = async (event, ctx) => {
  const outcome = await settleOrderTimeout(ctx, event.orderId, event.eventId, ctx.clock());
  if (outcome.kind === "NOT_DUE") await ctx.job.delayUntil(outcome.expiresAt.getTime() + 10);
  if (outcome.kind === "NOT_APPLICABLE") {
    const { order } = outcome;
    await ctx.job.note(`${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"}, no longer waiting for payment: no timeout`);
  }
};
