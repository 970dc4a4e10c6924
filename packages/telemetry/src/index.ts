export * from "./order-scope.ts";
export * from "./start-telemetry.ts";
export * from "./telemetry.ts";
export * from "./trace-context.ts";
