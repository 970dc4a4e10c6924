import { z } from "zod";

export const DEV_JWT_SECRET = "dev-only-jwt-secret-change-me";
export const DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-change-me";

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
/** An empty variable counts as unset (compose files pass `VAR: ${VAR:-}`). */
const optionalText = () => z.preprocess((v) => (v === "" ? undefined : v), z.string().optional());

export const envSchema = z.object({
  NODE_ENV: z.string().default("development"),
  DATABASE_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/orders"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  /** Comma-separated host:port list; when set, Redis is used as a cluster. */
  REDIS_CLUSTER_NODES: z.string().optional(),
  /** Key prefix for every Redis key of this deployment (queues and stock). */
  REDIS_PREFIX: z.string().default("of"),
  PORT: int(3000),
  WORKER_METRICS_PORT: int(3001),
  JWT_SECRET: z.string().min(1).default(DEV_JWT_SECRET),
  PAYMENT_WEBHOOK_SECRET: z.string().min(1).default(DEV_WEBHOOK_SECRET),
  PAYMENT_GATEWAY: z.enum(["sandbox", "stripe"]).default("sandbox"),
  /** In production the sandbox gateway refuses to start unless this says "true" (a staging system). */
  ALLOW_SANDBOX_GATEWAY: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** PAYMENT_GATEWAY=stripe: both keys required (checked below); API base for a local Stripe-compatible server */
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE: z.url({ protocol: /^https?$/ }).optional(),
  PAYMENT_CURRENCY: z.string().regex(/^[a-z]{3}$/i, "a three-letter ISO currency code").default("krw"),
  /** Where the sandbox PG posts its webhooks (this API by default). */
  SANDBOX_WEBHOOK_URL: z.string().optional(),
  SANDBOX_REFUND_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** Share (0–1) of sandbox refunds that time out after being carried out (fault injection). */
  SANDBOX_REFUND_TIMEOUT_RATE: z.coerce.number().min(0).max(1).default(0),
  ORDER_PAYMENT_TIMEOUT_SECONDS: z.coerce.number().positive().default(600),
  ORDER_TIMEOUT_SWEEP_INTERVAL_SECONDS: z.coerce.number().positive().default(60),
  RESERVATION_SWEEP_INTERVAL_SECONDS: z.coerce.number().positive().default(300),
  RESERVATION_SWEEP_GRACE_SECONDS: z.coerce.number().nonnegative().default(60),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().default(50),
  /** Attempts of every job before it is dead-lettered, and the first backoff delay (doubling). */
  JOB_ATTEMPTS: z.coerce.number().int().positive().default(8),
  JOB_BACKOFF_MS: z.coerce.number().int().positive().default(1000),
  RATE_LIMIT_PER_MINUTE: int(600),
  ADMIN_USER: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  /** The queue dashboard may empty, obliterate and clean queues (off: inspect, retry, promote, pause only). */
  ADMIN_QUEUE_DESTRUCTIVE_ACTIONS: z.stringbool().default(false),
  /** Node HTTP server: time to receive a request's headers, and the whole request (a slow body is cut off). */
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().positive().default(20),
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  /** Failed authentications per client address in a window before 429; 0 turns it off. */
  AUTH_FAILURE_LIMIT: int(20),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().positive().default(300),
  /** When set (not empty), /metrics of the API and the worker want `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z
    .string()
    .optional()
    .transform((v) => v || undefined),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * Tracing (OpenTelemetry), the standard variables: on when an OTLP endpoint is set, entirely
   * off otherwise. The SDK also reads OTEL_* variables of its own (headers, batch sizes).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText().pipe(z.url().optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalText().pipe(z.url().optional()),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess((v) => (v === "" ? undefined : v), z.enum(["http/protobuf", "http/json"]).default("http/protobuf")),
  OTEL_SERVICE_NAME: optionalText(),
  OTEL_SDK_DISABLED: z.stringbool().default(false),
}).superRefine((env, ctx) => {
  if (env.PAYMENT_GATEWAY !== "stripe") return;
  for (const key of ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"] as const) {
    if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "required with PAYMENT_GATEWAY=stripe" });
  }
});

export type Env = z.infer<typeof envSchema> & {
  usingDevJwtSecret: boolean;
  usingDevWebhookSecret: boolean;
  /** where spans go (…/v1/traces), or null: tracing off */
  otlpTracesUrl: string | null;
};

/** The traces URL of the OTLP variables: the signal-specific one as is, the base one + /v1/traces. */
function tracesUrl(env: z.infer<typeof envSchema>): string | null {
  if (env.OTEL_SDK_DISABLED) return null;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  return null;
}

/** A setting the process cannot start with; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment once at start-up; a bad value stops the process with a clear message. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    // One line, naming each variable: it is what an operator sees when the process refuses to start.
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return {
    ...parsed.data,
    usingDevJwtSecret: parsed.data.JWT_SECRET === DEV_JWT_SECRET,
    usingDevWebhookSecret: parsed.data.PAYMENT_WEBHOOK_SECRET === DEV_WEBHOOK_SECRET,
    otlpTracesUrl: tracesUrl(parsed.data),
  };
}
