import { loadEnv } from "@order-flow/config";
import { describe, expect, it } from "vitest";
import { startTelemetry, telemetrySettings } from "./start-telemetry.ts";
import { TELEMETRY_OFF } from "./telemetry.ts";

describe("tracing settings from the standard OTEL variables", () => {
  it("are off when no OTLP endpoint is set, and starting them then loads nothing", async () => {
    const settings = telemetrySettings(loadEnv({}), "order-flow-api");
    expect(settings.enabled).toBe(false);
    expect(await startTelemetry(settings)).toBe(TELEMETRY_OFF);
    expect(telemetrySettings(loadEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "" }), "x").enabled).toBe(false);
  });

  it("send to <endpoint>/v1/traces, or to the traces endpoint as given, under the process's own name", () => {
    expect(telemetrySettings(loadEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318/" }), "order-flow-worker")).toEqual({
      enabled: true,
      tracesUrl: "http://jaeger:4318/v1/traces",
      protocol: "http/protobuf",
      serviceName: "order-flow-worker",
    });
    const env = loadEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:4318/traces",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "shop-api",
    });
    expect(telemetrySettings(env, "order-flow-api")).toMatchObject({ tracesUrl: "http://b:4318/traces", protocol: "http/json", serviceName: "shop-api" });
  });

  it("stay off with OTEL_SDK_DISABLED, and refuse a protocol they cannot speak", () => {
    expect(telemetrySettings(loadEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SDK_DISABLED: "true" }), "x").enabled).toBe(false);
    expect(() => loadEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
  });
});
