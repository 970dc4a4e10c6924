import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const ordersPlaced = new Counter({
    name: "orders_placed_total",
    help: "Orders placed, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  return { registry, httpDuration, ordersPlaced };
}
