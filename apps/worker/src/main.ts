import { createLogger, loadServiceEnv } from "@order-flow/config";
import { startTelemetry, telemetrySettings } from "@order-flow/telemetry";
import { startMetricsServer } from "./metrics-server.ts";

const SHUTDOWN_DEADLINE_MS = 10_000;

const env = loadServiceEnv("worker");
const log = createLogger({ name: "worker", level: env.LOG_LEVEL });
// Before the runtime is imported: the pg and ioredis instrumentations patch them as they load.
const telemetry = await startTelemetry(telemetrySettings(env, "order-flow-worker"));
if (telemetry.enabled) log.info({ traces: env.otlpTracesUrl, protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL }, "tracing on");
const { startWorkerRuntime } = await import("./runtime.ts");
const { StripePaymentGateway } = await import("@order-flow/payments");

const runtime = await startWorkerRuntime({
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  ...(env.REDIS_CLUSTER_NODES ? { redisClusterNodes: env.REDIS_CLUSTER_NODES } : {}),
  redisPrefix: env.REDIS_PREFIX,
  concurrency: env.WORKER_CONCURRENCY,
  retry: { attempts: env.JOB_ATTEMPTS, backoffMs: env.JOB_BACKOFF_MS },
  orderTimeoutSweepIntervalMs: env.ORDER_TIMEOUT_SWEEP_INTERVAL_SECONDS * 1000,
  reservationSweepIntervalMs: env.RESERVATION_SWEEP_INTERVAL_SECONDS * 1000,
  reservationSweepGraceMs: env.RESERVATION_SWEEP_GRACE_SECONDS * 1000,
  sandboxRefundFailureRate: env.SANDBOX_REFUND_FAILURE_RATE,
  sandboxRefundTimeoutRate: env.SANDBOX_REFUND_TIMEOUT_RATE,
  ...(env.PAYMENT_GATEWAY === "stripe"
    ? {
        gateway: new StripePaymentGateway({
          secretKey: env.STRIPE_SECRET_KEY ?? "",
          webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? "",
          apiBase: env.STRIPE_API_BASE,
          currency: env.PAYMENT_CURRENCY,
        }),
      }
    : {}),
  log,
  telemetry: telemetry.bullmq,
});

// /metrics (Prometheus text, behind METRICS_TOKEN when set) and /healthz; port 0 turns it off.
const server =
  env.WORKER_METRICS_PORT > 0
    ? startMetricsServer({ port: env.WORKER_METRICS_PORT, metrics: runtime.metrics, token: env.METRICS_TOKEN, log })
    : null;

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down: finishing in-flight jobs");
  const force = setTimeout(() => {
    log.error("graceful shutdown took too long; exiting");
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS);
  force.unref();
  server?.close();
  try {
    await runtime.close();
    await telemetry.shutdown();
    process.exit(0);
  } catch (error) {
    log.error({ err: error }, "error during shutdown");
    process.exit(1);
  }
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
