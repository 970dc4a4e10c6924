import { context, propagation, ROOT_CONTEXT, trace, type SpanContext } from "@opentelemetry/api";

/**
 * The active trace context as W3C headers (traceparent, tracestate) in a JSON string: the
 * form the outbox stores and BullMQ's telemetry reads back as a job's parent. Null when
 * nothing is traced (no SDK: the propagator is a no-op and injects nothing).
 */
export function captureTraceContext(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? JSON.stringify(carrier) : null;
}

/** The span context a captured trace context names (for a span link), if it parses. */
export function spanContextOf(captured: string | null | undefined): SpanContext | undefined {
  if (!captured) return undefined;
  try {
    return trace.getSpanContext(propagation.extract(ROOT_CONTEXT, JSON.parse(captured) as Record<string, string>));
  } catch {
    return undefined;
  }
}

const tracer = trace.getTracer("order-flow");

/**
 * Work that belongs to an earlier trace but arrives in a request of its own (a PG webhook):
 * the request's span links to the earlier trace, and `fn` runs in a span `name` that
 * continues it (linked back), so what `fn` writes and raises joins the earlier trace.
 */
export function continueTrace<T>(captured: string | null | undefined, name: string, fn: () => Promise<T>): Promise<T> {
  const parent = spanContextOf(captured);
  if (!parent) return fn();
  const current = trace.getActiveSpan();
  current?.addLink({ context: parent });
  const links = current ? [{ context: current.spanContext() }] : [];
  return tracer.startActiveSpan(name, { links }, trace.setSpanContext(context.active(), parent), async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

/** Whether this work is being traced (false without the SDK): look-ups made only for tracing check it first. */
export function isTraced(): boolean {
  return trace.getActiveSpan()?.isRecording() ?? false;
}
