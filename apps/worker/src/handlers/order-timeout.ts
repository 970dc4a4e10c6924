import type { Handler } from "../handler.ts";
import { settleOrderTimeout } from "../order-timeout.ts";

/** The delayed job at the deadline. Fired a little early (clock skew), it waits for the deadline. */
export const handleOrderTimeout: Handler<"OrderTimeout"> = async (event, ctx) => {
  const outcome = await settleOrderTimeout(ctx, event.orderId, event.eventId, ctx.clock());
  if (outcome.kind === "NOT_DUE") await ctx.job.delayUntil(outcome.expiresAt.getTime() + 10);
  if (outcome.kind === "NOT_APPLICABLE") {
    await ctx.job.note(`order ${event.orderId} no longer waits for payment (paid, cancelled or gone): no timeout`);
  }
};
