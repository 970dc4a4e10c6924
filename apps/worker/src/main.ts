import { createServer } from "node:http";
import { createLogger, loadEnv } from "@order-flow/config";
import { startTelemetry, telemetrySettings } from "@order-flow/telemetry";

const SHUTDOWN_DEADLINE_MS = 10_000;

const env = loadEnv();
const log = createLogger({ name: "worker", level: env.LOG_LEVEL });
// Before the runtime is imported: the pg and ioredis instrumentations patch them as they load.
const telemetry = await startTelemetry(telemetrySettings(env, "order-flow-worker"));
if (telemetry.enabled) log.info({ traces: env.otlpTracesUrl, protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL }, "tracing on");
const { startWorkerRuntime } = await import("./runtime.ts");

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
  log,
  telemetry: telemetry.bullmq,
});

// /metrics (Prometheus text) and /healthz; 0 turns the server off.
const server =
  env.WORKER_METRICS_PORT > 0
    ? createServer((req, res) => {
        if (req.url === "/metrics") {
          void runtime.metrics.text().then(
            (text) => res.writeHead(200, { "content-type": runtime.metrics.contentType }).end(text),
            (error: unknown) => {
              log.warn({ err: error }, "metrics scrape failed");
              res.writeHead(500).end();
            },
          );
        } else if (req.url === "/healthz") {
          res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
        } else {
          res.writeHead(404).end();
        }
      }).listen(env.WORKER_METRICS_PORT)
    : null;
server?.on("error", (error) => log.warn({ err: error }, "metrics server unavailable"));

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
