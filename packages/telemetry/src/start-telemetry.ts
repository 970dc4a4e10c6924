import { TELEMETRY_OFF, type Telemetry, type TelemetrySettings } from "./telemetry.ts";

/**
 * Starts tracing for this process, before anything that loads pg or ioredis (their
 * instrumentations patch them as they load). Off, nothing of the SDK is even imported.
 */
export async function startTelemetry(settings: TelemetrySettings): Promise<Telemetry> {
  if (!settings.enabled) return TELEMETRY_OFF;
  const { startSdk } = await import("./sdk.ts");
  return startSdk(settings);
}

/** The settings of one process from the parsed environment; OTEL_SERVICE_NAME overrides the default name. */
export function telemetrySettings(
  env: { otlpTracesUrl: string | null; OTEL_EXPORTER_OTLP_PROTOCOL: TelemetrySettings["protocol"]; OTEL_SERVICE_NAME?: string | undefined },
  defaultServiceName: string,
): TelemetrySettings {
  return {
    enabled: env.otlpTracesUrl !== null,
    tracesUrl: env.otlpTracesUrl ?? "",
    protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL,
    serviceName: env.OTEL_SERVICE_NAME ?? defaultServiceName,
  };
}
