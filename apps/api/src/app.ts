import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import { routePath } from "hono/route";
import type { Cluster, Redis } from "ioredis";
import type { Logger } from "@order-flow/config";
import type { Database } from "@order-flow/db";
import type { OrderStore, Outbox } from "@order-flow/domain";
import { productRepository } from "@order-flow/db";
import type { StripePaymentGateway } from "@order-flow/payments";
import type { Queues } from "@order-flow/queues";
import type { StockReservationService } from "@order-flow/stock";
import { withOrder } from "@order-flow/telemetry";
import { catalogRoutes } from "./catalog/catalog-routes.ts";
import { catalogCache } from "./catalog/catalog-cache.ts";
import type { AppEnv } from "./context.ts";
import type { ApiMetrics } from "./metrics.ts";
import { adminAuth } from "./middleware/admin-auth.ts";
import { authFailures } from "./middleware/auth-failures.ts";
import { bearerAuth } from "./middleware/auth.ts";
import { idempotency } from "./middleware/idempotency.ts";
import { metricsToken } from "./middleware/metrics-token.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { rejectNul } from "./middleware/reject-nul.ts";
import { requestId } from "./middleware/request-id.ts";
import { requireRedis } from "./middleware/require-redis.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { docsRoutes } from "./operations/docs-routes.ts";
import { openApiDocument } from "./operations/openapi-document.ts";
import { operationsRoutes } from "./operations/operations-routes.ts";
import { BOARD_PATH, queueBoard } from "./operations/queue-board.ts";
import { orderCommands } from "./orders/order-commands.ts";
import { orderRoutes } from "./orders/order-routes.ts";
import { paymentRoutes } from "./payments/payment-routes.ts";
import { paymentWebhook } from "./payments/payment-webhook.ts";
import { ApiProblem, problemResponse, toProblem } from "./problem.ts";
import { sandboxRoutes } from "./sandbox/sandbox-routes.ts";

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A feature's routes behind `policy`, which runs first for every path under the prefix the
 * result is mounted at, one the feature does not serve included (401 before 404).
 */
function behind(policy: MiddlewareHandler<AppEnv>, routes: OpenAPIHono<AppEnv>): OpenAPIHono<AppEnv> {
  const guarded = new OpenAPIHono<AppEnv>();
  guarded.use("*", policy);
  return guarded.route("/", routes);
}

export type AppDeps = {
  db: Database;
  /** where orders are kept (packages/db's pgOrderStore in production) */
  orders: OrderStore;
  /** events waiting to become jobs (packages/db's pgOutbox in production): the backlog gauge, the webhook's trace */
  outbox: Outbox;
  redis: Redis | Cluster;
  stock: StockReservationService;
  log: Logger;
  metrics: ApiMetrics;
  redisPrefix: string;
  jwtSecret: string;
  webhookSecret: string;
  paymentGateway: "sandbox" | "stripe";
  /** the Stripe adapter, required with paymentGateway "stripe" */
  stripe?: StripePaymentGateway;
  holdSeconds: number;
  rateLimitPerMinute: number;
  /** every queue, for the dashboard at /admin/queues and the queue gauges; without it neither is there */
  queues?: Queues;
  /** ADMIN_USER / ADMIN_PASSWORD: basic auth to the dashboard, off unless both are set */
  adminUser?: string | undefined;
  adminPassword?: string | undefined;
  /** ADMIN_QUEUE_DESTRUCTIVE_ACTIONS: the dashboard may empty, obliterate and clean queues (default false) */
  queueBoardDestructiveActions?: boolean;
  /** the HTTP server span of each request (tracing on); without it nothing is traced */
  traceRequests?: MiddlewareHandler | undefined;
  /** AUTH_FAILURE_LIMIT / AUTH_FAILURE_WINDOW_SECONDS: failed authentications per client address; off unless > 0 */
  authFailureLimit?: number;
  authFailureWindowSeconds?: number;
  /** METRICS_TOKEN: /metrics wants it as a bearer token when set */
  metricsToken?: string | undefined;
  now?: () => Date;
  /** an Idempotency-Key claim with no answer after this long is given up, and a retry runs (default 30 s) */
  idempotencyAbandonedAfterMs?: number;
  /** draws order numbers (default: random); tests force a clash with it */
  newOrderNumber?: (now: Date) => string;
};

export function buildApp(deps: AppDeps) {
  if (deps.paymentGateway === "stripe" && !deps.stripe) throw new Error("paymentGateway stripe needs the Stripe adapter");
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiProblem("VALIDATION_FAILED", "The request is not valid", {
          errors: result.error.issues.map((issue) => ({
            path: issue.path.map(String).join(".") || "(root)",
            message: issue.message,
          })),
        });
      }
    },
  });

  if (deps.traceRequests) {
    app.use("*", deps.traceRequests);
    // A request about one order traces as that order's work (order.id on its spans).
    const aboutOrder: MiddlewareHandler = (c, next) => withOrder(c.req.param("id") ?? "", next);
    app.use("/orders/:id", aboutOrder);
    app.use("/orders/:id/*", aboutOrder);
  }
  app.use("*", requestId({ log: deps.log }));
  app.use("*", securityHeaders());
  // Requests no route answered (app.notFound): labelled so, not by the path of the last middleware they passed.
  const unmatched = new WeakSet<Context>();
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    const route = c.res.status === 404 && unmatched.has(c) ? "unmatched" : routePath(c);
    deps.metrics.httpDuration
      .labels(c.req.method, route, String(c.res.status))
      .observe((performance.now() - started) / 1000);
  });

  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiProblem("PAYLOAD_TOO_LARGE", `The body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
    },
  });
  const failures = authFailures({
    redis: deps.redis,
    prefix: deps.redisPrefix,
    limit: deps.authFailureLimit ?? 0,
    windowSeconds: deps.authFailureWindowSeconds ?? 300,
  });
  // API.md's order of checks: authentication, rate limit, body size, then the input itself.
  const guard = every(
    bearerAuth({ secret: deps.jwtSecret, failures }),
    rateLimit({ redis: deps.redis, prefix: deps.redisPrefix, perMinute: deps.rateLimitPerMinute }),
    limitBody,
    rejectNul(),
  );
  app.use("/metrics", metricsToken({ token: deps.metricsToken, failures }));
  // Stock lives in Redis: the routes that touch it answer 503 at once during a Redis outage instead of waiting.
  const needsRedis = requireRedis({ redis: deps.redis });

  // Scrape-time gauges: queue depths and the outbox backlog (each read with a timeout).
  deps.metrics.watch({
    ...(deps.queues ? { queues: Object.values(deps.queues) } : {}),
    outboxPending: () => deps.outbox.pendingCount(),
  });
  // The services count the transitions they commit and the holds they take (OrderMetricsHook).
  const observed = { metrics: deps.metrics };
  // One per process: the catalog routes forget what they change, orders re-check in their statement.
  const catalog = catalogCache({ read: (ids) => productRepository.findMany(deps.db, ids) });
  const commands = orderCommands({
    db: deps.db,
    catalog,
    orders: deps.orders,
    stock: deps.stock,
    holdSeconds: deps.holdSeconds,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.newOrderNumber ? { newOrderNumber: deps.newOrderNumber } : {}),
    ...(deps.paymentGateway === "stripe" && deps.stripe ? { gateway: deps.stripe } : {}),
    ...observed,
  });
  const webhook = paymentWebhook({
    orders: deps.orders,
    orderTrace: (orderId) => deps.outbox.orderTraceContext(orderId),
    ...(deps.now ? { now: deps.now } : {}),
    ...observed,
  });

  if (deps.queues) {
    app.use(`${BOARD_PATH}/*`, adminAuth({ jwtSecret: deps.jwtSecret, user: deps.adminUser, password: deps.adminPassword, failures }));
    app.route(BOARD_PATH, queueBoard(Object.values(deps.queues), { allowDestructive: deps.queueBoardDestructiveActions ?? false }));
  }
  app.route("/", operationsRoutes({ db: deps.db, redis: deps.redis, metrics: deps.metrics }));
  // Each feature is one sub-app under its prefix, with its policy mounted in front of it.
  app.route(
    "/orders",
    behind(
      guard,
      orderRoutes({
        db: deps.db,
        commands,
        needsRedis,
        idempotency: idempotency({
          redis: deps.redis,
          prefix: deps.redisPrefix,
          db: deps.db,
          ...(deps.now ? { now: deps.now } : {}),
          ...(deps.idempotencyAbandonedAfterMs !== undefined ? { abandonedAfterMs: deps.idempotencyAbandonedAfterMs } : {}),
        }),
      }),
    ),
  );
  app.route("/stores", behind(guard, catalogRoutes({ db: deps.db, stock: deps.stock, catalog, needsRedis })));
  // Signed by the gateway, not by a user's token: only the body limit applies before the signature check.
  app.route(
    "/webhooks",
    behind(limitBody, paymentRoutes({ webhookSecret: deps.webhookSecret, webhook, stripe: deps.paymentGateway === "stripe" ? deps.stripe : undefined })),
  );
  // Guarded with either gateway: /sandbox/* asks for a token even where the sandbox is not served.
  app.route(
    "/sandbox",
    behind(
      guard,
      deps.paymentGateway === "sandbox"
        ? sandboxRoutes({
            db: deps.db,
            commands,
            secret: deps.webhookSecret,
            // Delivered in-process through the real endpoint: same signature check, same code path.
            deliver: async (rawBody, signature) =>
              app.request("/webhooks/payments", {
                method: "POST",
                body: rawBody,
                headers: { "Content-Type": "application/json", "X-Signature": signature },
              }),
          })
        : new OpenAPIHono<AppEnv>(),
    ),
  );

  app.doc31("/openapi.json", openApiDocument(app.openAPIRegistry));
  app.route("/", docsRoutes({ path: "/docs", specUrl: "/openapi.json" }));

  app.notFound((c) => {
    unmatched.add(c);
    return problemResponse(c, new ApiProblem("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`));
  });
  app.onError((err, c) => {
    const problem = toProblem(err);
    if (problem.code === "INTERNAL") c.get("log")?.error({ err }, "unhandled error");
    else if (problem.code === "SERVICE_UNAVAILABLE") c.get("log")?.warn({ err: String(err) }, "backing service unavailable");
    const res = problemResponse(c, problem);
    const id = c.get("requestId");
    if (id) res.headers.set("X-Request-Id", id);
    return res;
  });
  return app;
}
