import { createLogger, loadServiceEnv, warnAboutDevSecrets } from "@order-flow/config";
import { startTelemetry, telemetrySettings } from "@order-flow/telemetry";

const env = loadServiceEnv("api");
const log = createLogger({ name: "api", level: env.LOG_LEVEL });
warnAboutDevSecrets(log, env);

// Before anything that loads pg or ioredis: the instrumentations patch them as they load.
const telemetry = await startTelemetry(telemetrySettings(env, "order-flow-api"));
if (telemetry.enabled) log.info({ traces: env.otlpTracesUrl, protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL }, "tracing on");
const { serve } = await import("@hono/node-server");
const { createDatabase, pgOrderStore, pgOutbox, pgReservationLedger } = await import("@order-flow/db");
const { StripePaymentGateway } = await import("@order-flow/payments");
const { OutboxDispatcher, closeQueues, createQueues, createRedisClient, defaultJobOptions } = await import("@order-flow/queues");
const { RedisStockReservationService } = await import("@order-flow/stock");
const { buildApp } = await import("./app.ts");
const { createApiMetrics } = await import("./metrics.ts");
const { answerClientError } = await import("./client-error.ts");

const db = createDatabase({ databaseUrl: env.DATABASE_URL });
// Fail fast ("producer"): with Redis down a request answers 503 at once instead of queueing.
// REDIS_CLUSTER_NODES makes it a Cluster client.
const redis = createRedisClient({
  url: env.REDIS_URL,
  clusterNodes: env.REDIS_CLUSTER_NODES,
  role: "producer",
  name: "api",
  lazyConnect: true,
});
redis.on("error", (err) => log.warn({ err: err.message }, "redis connection error"));
await redis.connect().catch((err: Error) => log.error({ err: err.message }, "redis not reachable at start"));

// The dashboard's and the queue gauges' own connection; "producer" so an outage fails fast.
const queueRedis = createRedisClient({
  url: env.REDIS_URL,
  clusterNodes: env.REDIS_CLUSTER_NODES,
  role: "producer",
  name: "api-queues",
});
queueRedis.on("error", (err) => log.warn({ err: err.message }, "redis (queues) connection error"));
// Jobs take their retry policy from the process that adds them: the API adds the events it commits.
const queues = createQueues({
  connection: queueRedis,
  redisPrefix: env.REDIS_PREFIX,
  jobOptions: defaultJobOptions({ attempts: env.JOB_ATTEMPTS, backoffMs: env.JOB_BACKOFF_MS }),
  telemetry: telemetry.bullmq,
});
// The events of each commit go to the queues right after it; the workers' relay repeats what is lost.
const outbox = pgOutbox(db);
const dispatcher = new OutboxDispatcher({
  queues,
  markSent: (ids) => outbox.markSent(ids),
  onError: (error, stage) => log.warn({ err: error, stage }, "outbox dispatch failed; the relay publishes the events"),
});
outbox.onCommit(dispatcher.dispatch);

const stripe =
  env.PAYMENT_GATEWAY === "stripe"
    ? new StripePaymentGateway({
        secretKey: env.STRIPE_SECRET_KEY ?? "",
        webhookSecret: env.STRIPE_WEBHOOK_SECRET ?? "",
        apiBase: env.STRIPE_API_BASE,
        currency: env.PAYMENT_CURRENCY,
      })
    : undefined;

const stock = new RedisStockReservationService({ redis, ledger: pgReservationLedger(db), prefix: `${env.REDIS_PREFIX}:` });
const app = buildApp({
  db,
  orders: pgOrderStore(db),
  outbox,
  redis,
  stock,
  log,
  metrics: createApiMetrics(),
  redisPrefix: `${env.REDIS_PREFIX}:`,
  jwtSecret: env.JWT_SECRET,
  webhookSecret: env.PAYMENT_WEBHOOK_SECRET,
  paymentGateway: env.PAYMENT_GATEWAY,
  ...(stripe ? { stripe } : {}),
  holdSeconds: env.ORDER_PAYMENT_TIMEOUT_SECONDS,
  rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
  queues,
  adminUser: env.ADMIN_USER,
  adminPassword: env.ADMIN_PASSWORD,
  queueBoardDestructiveActions: env.ADMIN_QUEUE_DESTRUCTIVE_ACTIONS,
  authFailureLimit: env.AUTH_FAILURE_LIMIT,
  authFailureWindowSeconds: env.AUTH_FAILURE_WINDOW_SECONDS,
  metricsToken: env.METRICS_TOKEN,
  traceRequests: telemetry.httpMiddleware?.(),
});

// Bounded time to send headers and the whole request: a body trickled in cannot hold a socket
// for Node's default 300 s. Expired requests are found every 2 s (Node's default: 30 s).
const server = serve(
  {
    fetch: app.fetch,
    port: env.PORT,
    hostname: "0.0.0.0",
    serverOptions: {
      headersTimeout: Math.min(env.HTTP_HEADERS_TIMEOUT_SECONDS, env.HTTP_REQUEST_TIMEOUT_SECONDS) * 1000,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      connectionsCheckingInterval: 2_000,
    },
  },
  (info) => log.info({ port: info.port }, "api listening"),
);
server.on("clientError", answerClientError);

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  log.info({ signal }, "api shutting down");
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  // Stop accepting, let in-flight requests finish, then close the clients.
  // close() waits for every keep-alive connection; under load clients keep theirs busy and the
  // process hit the 10 s force-exit. Idle ones are closed as soon as their response is out.
  const reaper = setInterval(() => (server as { closeIdleConnections?: () => void }).closeIdleConnections?.(), 100);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  clearInterval(reaper);
  await dispatcher.close();
  await Promise.allSettled([
    db.close(),
    redis.quit(),
    closeQueues(queues).then(() => queueRedis.quit()),
  ]);
  await telemetry.shutdown();
  log.info("api stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
