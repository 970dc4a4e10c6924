import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ORDER_ID_ATTRIBUTE, orderIdOf } from "./order-scope.ts";

/** Stamps `order.id` on every span started inside withOrder(): pg, ioredis and BullMQ spans included. */
export class OrderIdSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const orderId = orderIdOf(parentContext);
    if (orderId) span.setAttribute(ORDER_ID_ATTRIBUTE, orderId);
  }

  onEnd(_span: ReadableSpan): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
