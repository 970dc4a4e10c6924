import { httpInstrumentationMiddleware } from "@hono/otel";
import { diag, DiagConsoleLogger, DiagLogLevel } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { BullMQOtel } from "bullmq-otel";
import { createRequire } from "node:module";
import { OrderIdSpanProcessor } from "./order-id-span-processor.ts";
import type { Telemetry, TelemetrySettings } from "./telemetry.ts";

const SHUTDOWN_FLUSH_MS = 2_000;

/**
 * The SDK proper, loaded only when tracing is on. Spans are batched and exported in the
 * background: an exporter that is down drops spans (logged once per failure by the SDK's
 * diag logger at warn level) and never holds up an order.
 */
export function startSdk(settings: TelemetrySettings): Telemetry {
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  const exporter =
    settings.protocol === "http/json" ? new JsonExporter({ url: settings.tracesUrl }) : new ProtoExporter({ url: settings.tracesUrl });
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }));
  const provider = new NodeTracerProvider({
    resource,
    // OrderIdSpanProcessor first: it stamps order.id at start, before anything is exported.
    spanProcessors: [new OrderIdSpanProcessor(), new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Only under a span of ours: no traces made of the relay's polling or the queue's housekeeping.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  // The hooks patch a module when it is require()d; an ESM `import` of a CommonJS package may
  // bypass them. Loading both here, under the hooks, patches the instances every import shares.
  const load = createRequire(import.meta.url);
  load("pg");
  load("ioredis");
  return {
    enabled: true,
    bullmq: new BullMQOtel({ tracerName: "order-flow-bullmq" }),
    httpMiddleware: () => httpInstrumentationMiddleware({ serviceName: settings.serviceName }),
    // Flushes what is buffered, but a collector that is down must not hold up a stop: after
    // SHUTDOWN_FLUSH_MS the rest is dropped.
    shutdown: async () => {
      unregister();
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
        timer.unref();
      });
      await Promise.race([provider.shutdown().catch(() => {}), giveUp]);
      clearTimeout(timer);
    },
  };
}
