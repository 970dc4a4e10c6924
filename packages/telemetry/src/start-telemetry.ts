import type { startSdk } from "./sdk.ts";
import { TELEMETRY_OFF, type Telemetry, type TelemetrySettings } from "./telemetry.ts";

/**
 * Where the SDK module is. From source, beside this file. Compiled, every entry bundles this
 * file into dist/apps/<app>/src/main.mjs while the SDK is an entry of its own
 * (scripts/build.mjs), so that a bundle imports none of it unless tracing is on; a computed
 * specifier keeps the bundler from inlining it.
 */
function sdkModule(): string {
  const here = import.meta.url;
  return here.endsWith(".mjs") ? new URL("../../../packages/telemetry/src/sdk.mjs", here).href : new URL("./sdk.ts", here).href;
}

/**
 * Starts tracing for this process, before anything that loads pg or ioredis (their
 * instrumentations patch them as they load). Off, nothing of the SDK is even imported.
 */
export async function startTelemetry(settings: TelemetrySettings): Promise<Telemetry> {
  if (!settings.enabled) return TELEMETRY_OFF;
  const sdk = (await import(sdkModule())) as { startSdk: typeof startSdk };
  return sdk.startSdk(settings);
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
