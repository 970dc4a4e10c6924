import { context, createContextKey, trace, type Context } from "@opentelemetry/api";

/** The attribute every span of an order's work carries: an operator finds the trace from the order. */
export const ORDER_ID_ATTRIBUTE = "order.id";

const ORDER_ID_KEY = createContextKey("order-flow.order.id");

/**
 * Runs `fn` as work on one order: the active span gets `order.id`, and so does every span
 * started under it (OrderIdSpanProcessor reads it from the context). Without the SDK the
 * API is a no-op and this is a plain call.
 */
export function withOrder<T>(orderId: string, fn: () => T): T {
  trace.getActiveSpan()?.setAttribute(ORDER_ID_ATTRIBUTE, orderId);
  return context.with(context.active().setValue(ORDER_ID_KEY, orderId), fn);
}

/** The order a context's work is about, if any. */
export function orderIdOf(ctx: Context): string | undefined {
  const value = ctx.getValue(ORDER_ID_KEY);
  return typeof value === "string" ? value : undefined;
}
