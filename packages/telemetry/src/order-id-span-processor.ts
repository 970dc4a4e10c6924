import { trace, type Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ORDER_ID_ATTRIBUTE, orderIdOf } from "./order-scope.ts";

/** The order id a local parent span carries (an SDK span exposes its attributes). */
function orderIdOfParent(ctx: Context): unknown {
  const parent = trace.getSpan(ctx) as Partial<ReadableSpan> | undefined;
  return parent?.attributes?.[ORDER_ID_ATTRIBUTE];
}

/**
 * Stamps `order.id` on every span started inside withOrder() or under a span that has it: the
 * pg, ioredis and BullMQ spans (a job's completion included) of an order's work all carry it.
 */
export class OrderIdSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const orderId = orderIdOf(parentContext) ?? orderIdOfParent(parentContext);
    if (typeof orderId === "string") span.setAttribute(ORDER_ID_ATTRIBUTE, orderId);
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
