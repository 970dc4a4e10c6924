import type { MiddlewareHandler } from "hono";
import type { Telemetry as BullTelemetry } from "bullmq";

/** What a process gets from its tracing set-up; every part is absent when tracing is off. */
export type Telemetry = {
  enabled: boolean;
  /** passed as `telemetry` to every BullMQ Queue and Worker */
  bullmq?: BullTelemetry;
  /** the HTTP server span of each request (Hono) */
  httpMiddleware?: () => MiddlewareHandler;
  /** exports what is buffered, then stops */
  shutdown(): Promise<void>;
};

export type TelemetrySettings = {
  /** off: nothing of the SDK is loaded */
  enabled: boolean;
  /** where spans go: the OTLP traces URL (…/v1/traces) */
  tracesUrl: string;
  protocol: "http/protobuf" | "http/json";
  serviceName: string;
};

export const TELEMETRY_OFF: Telemetry = { enabled: false, shutdown: async () => {} };
