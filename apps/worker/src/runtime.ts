import { createLogger, type Logger } from "@order-flow/config";
import {
  createDatabase,
  pgOrderStore,
  pgOutbox,
  pgReservationLedger,
  sandboxLedgerRepository,
  type Database,
} from "@order-flow/db";
import { SandboxPaymentGateway, type PaymentGateway } from "@order-flow/payments";
import {
  JOB_PAYLOAD_SCHEMAS,
  JOB_QUEUE_NAMES,
  MAINTENANCE_QUEUE,
  OutboxDispatcher,
  bullPrefix,
  closeQueues,
  createQueues,
  createRedisClient,
  defaultJobOptions,
  jobTypeOfQueue,
  orderNumberOfJobName,
  type JobQueueName,
  type JobRetryPolicy,
  type JobType,
  type Queues,
} from "@order-flow/queues";
import { RedisStockReservationService } from "@order-flow/stock";
import { withOrder } from "@order-flow/telemetry";
import { trace } from "@opentelemetry/api";
import { DelayedError, UnrecoverableError, Worker, type Job, type Telemetry } from "bullmq";
import type { Handler, HandlerContext } from "./handler.ts";
import { HANDLERS } from "./handlers/index.ts";
import {
  isControlError,
  isFinalFailure,
  nameOrderInError,
  recordFinalFailure,
  relativeStack,
  type FailedOrder,
} from "./job-failures.ts";
import { JobJournal } from "./job-journal.ts";
import { WorkerMetrics } from "./metrics.ts";
import { lostJobsGuard } from "./lost-jobs-guard.ts";
import { OutboxRelay, observeRelayed } from "./outbox-relay.ts";
import { maintenanceProcessor, upsertSchedulers, type SchedulerSettings } from "./schedulers.ts";
import type { StockPort } from "./stock-port.ts";
import { LoggingStoreNotifier, type StoreNotifier } from "./store-notifier.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export type WorkerRuntimeOptions = {
  databaseUrl: string;
  redisUrl: string;
  redisClusterNodes?: string;
  /** REDIS_PREFIX: queues live under "{prefix}", stock keys under "prefix:" */
  redisPrefix: string;
  /** jobs in flight per queue in this process (WORKER_CONCURRENCY) */
  concurrency?: number;
  /** attempts and first backoff delay of every job (tests use small values) */
  retry?: Partial<JobRetryPolicy>;
  orderTimeoutSweepIntervalMs?: number;
  reservationSweepIntervalMs?: number;
  reservationSweepGraceMs?: number;
  outboxPurgeIntervalMs?: number;
  outboxRetentionMs?: number;
  /** how often expired idempotency keys (24 h old) are deleted (default hourly) */
  idempotencyPurgeIntervalMs?: number;
  relayPollIntervalMs?: number;
  relayBatchSize?: number;
  /** how old an unsent outbox row must be before the relay takes it (default 1 s; see OutboxRelay) */
  relayGraceMs?: number;
  /** SANDBOX_REFUND_FAILURE_RATE, when no gateway is given */
  sandboxRefundFailureRate?: number;
  /** SANDBOX_REFUND_TIMEOUT_RATE, when no gateway is given */
  sandboxRefundTimeoutRate?: number;
  /** rebuild Redis stock from PostgreSQL at start when it lost its data (default true) */
  ensureStockIntact?: boolean;
  /** how often to look for a Redis that lost its jobs (default 5 s) */
  lostJobsCheckIntervalMs?: number;
  log?: Logger;
  // Injectable collaborators; the runtime builds (and later closes) the ones not given.
  db?: Database;
  gateway?: PaymentGateway;
  stock?: StockPort;
  storeNotifier?: StoreNotifier;
  metrics?: WorkerMetrics;
  clock?: () => Date;
  /** BullMQ's tracing interface (bullmq-otel) when tracing is on: jobs continue their order's trace */
  telemetry?: Telemetry | undefined;
};

export type WorkerRuntime = {
  deps: WorkerDeps;
  queues: Queues;
  metrics: WorkerMetrics;
  relay: OutboxRelay;
  /** stops the relay, lets in-flight jobs finish, closes queues and connections */
  close(): Promise<void>;
};

function jobContext(deps: WorkerDeps, queue: string, job: Job, token: string | undefined, journal: JobJournal): HandlerContext {
  const attempts = job.opts.attempts ?? 1;
  const attempt = job.attemptsMade + 1;
  // Every line the handler logs, notes included, also lands in the job's own log (JobJournal).
  const log = journal.logger(deps.log.child({ queue, jobId: job.id, attempt }));
  return {
    ...deps,
    log,
    job: {
      note: async (message, fields) => {
        log.info(fields ?? {}, message);
      },
      queue,
      id: job.id ?? "",
      attempt,
      attempts,
      isLastAttempt: attempt >= attempts,
      // attemptsStarted counts every move to active, stalled runs and delays included.
      redelivered: job.attemptsMade > 0 || (job.attemptsStarted ?? 0) > 1,
      delayUntil: async (timestamp) => {
        await job.moveToDelayed(timestamp, token);
        journal.note(`put back until ${new Date(timestamp).toISOString()}`);
        throw new DelayedError();
      },
    },
  };
}

/** The order a job is about: its id from the payload, its number from the job's name or, failing that, the database. */
async function orderOfJob(deps: WorkerDeps, job: Job): Promise<FailedOrder | null> {
  const id = (job.data as { orderId?: unknown } | undefined)?.orderId;
  if (typeof id !== "string") return null;
  const number = orderNumberOfJobName(job.name) ?? (await deps.orders.find(id).catch(() => null))?.orderNumber;
  return { id, number: number ?? null };
}

/**
 * Runs a job's handler and journals the attempt in the job's log. A failure names the order
 * (number and id) in its message, BullMQ's failedReason, with a stack of relative paths.
 */
const tracer = trace.getTracer("order-flow-worker");

function processorFor(deps: WorkerDeps, queue: JobQueueName) {
  const type = jobTypeOfQueue(queue);
  const schema = JOB_PAYLOAD_SCHEMAS[type];
  const handler = HANDLERS[type] as Handler<JobType>;
  return async (job: Job, token?: string): Promise<void> => {
    const attempt = `attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1}`;
    const named = orderNumberOfJobName(job.name);
    const orderId = (job.data as { orderId?: unknown } | undefined)?.orderId;
    const about = typeof orderId === "string" ? ` for order ${named ? `${named} ` : ""}(${orderId})` : "";
    const journal = new JobJournal(`${type}${about}, ${attempt}`);
    const started = performance.now();
    try {
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(`invalid ${type} payload: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
      }
      // The handler's span, under the job's; both, and every pg and Redis call beneath, carry order.id.
      const run = () =>
        tracer.startActiveSpan(`handle ${type}`, async (span) => {
          try {
            await handler(parsed.data as never, jobContext(deps, queue, job, token, journal));
          } finally {
            span.end();
          }
        });
      const orderOf = (parsed.data as { orderId?: unknown }).orderId;
      await (typeof orderOf === "string" ? withOrder(orderOf, run) : run());
    } catch (error) {
      if (isControlError(error)) {
        await journal.write(job, "not finished: it continues later", deps.log, { finished: false });
        throw error;
      }
      const order = error instanceof Error ? await orderOfJob(deps, job) : null;
      if (order) nameOrderInError(error as Error, order);
      else if (error instanceof Error && error.stack) error.stack = relativeStack(error.stack);
      await journal.write(job, `failed: ${error instanceof Error ? error.message : String(error)}`, deps.log, { finished: false });
      throw error;
    }
    await journal.write(job, `done in ${Math.round(performance.now() - started)} ms`, deps.log, { finished: true });
  };
}

/** Starts a whole worker in this process: handlers, schedulers and the outbox relay. */
export async function startWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
  const log = options.log ?? createLogger({ name: "worker" });
  const concurrency = options.concurrency ?? 50;
  const metrics = options.metrics ?? new WorkerMetrics();
  const closers: (() => Promise<unknown>)[] = [];

  const db = options.db ?? createDatabase({ databaseUrl: options.databaseUrl, poolSize: Math.min(40, Math.max(10, concurrency)) });
  if (!options.db) closers.push(() => db.close());

  const redisSettings = { url: options.redisUrl, clusterNodes: options.redisClusterNodes };
  const connection = createRedisClient({ ...redisSettings, role: "worker", name: "worker" });
  closers.push(() => connection.quit().catch(() => connection.disconnect()));

  let stock = options.stock;
  if (!stock) {
    // Its own connection with bounded retries: a stock call fails (and the job retries) rather than hanging.
    const stockRedis = createRedisClient({ ...redisSettings, role: "stock", name: "worker-stock" });
    closers.push(() => stockRedis.quit().catch(() => stockRedis.disconnect()));
    stock = new RedisStockReservationService({
      redis: stockRedis,
      ledger: pgReservationLedger(db),
      prefix: options.redisPrefix,
      ...(options.reservationSweepGraceMs !== undefined ? { sweepGraceMs: options.reservationSweepGraceMs } : {}),
    });
  }
  if (options.ensureStockIntact !== false && stock.ensureIntact) {
    if (await stock.ensureIntact()) log.warn("Redis had lost its stock data: rebuilt from PostgreSQL");
  }

  const queues = createQueues({
    connection,
    redisPrefix: options.redisPrefix,
    jobOptions: defaultJobOptions(options.retry),
    telemetry: options.telemetry,
  });
  // Events this process commits (handlers' transitions) go to the queues right after the commit.
  const outbox = pgOutbox(db);
  const dispatcher = new OutboxDispatcher({
    queues,
    markSent: (ids) => outbox.markSent(ids),
    onPublished: (jobs) => observeRelayed(metrics, jobs),
    onError: (error, stage) => log.warn({ err: error, stage }, "outbox dispatch failed; the relay publishes the events"),
  });
  outbox.onCommit(dispatcher.dispatch);
  const deps: WorkerDeps = {
    db,
    orders: pgOrderStore(db),
    outbox,
    stock,
    gateway:
      options.gateway ??
      new SandboxPaymentGateway({
        ledger: sandboxLedgerRepository(db),
        refundFailureRate: options.sandboxRefundFailureRate ?? 0,
        refundTimeoutRate: options.sandboxRefundTimeoutRate ?? 0,
      }),
    storeNotifier: options.storeNotifier ?? new LoggingStoreNotifier(log, metrics),
    queues,
    log,
    metrics,
    clock: options.clock ?? (() => new Date()),
  };

  const schedulers: SchedulerSettings = {
    orderTimeoutSweepEveryMs: options.orderTimeoutSweepIntervalMs ?? 60_000,
    reservationSweepEveryMs: options.reservationSweepIntervalMs ?? 300_000,
    outboxPurgeEveryMs: options.outboxPurgeIntervalMs ?? 10 * 60_000,
    outboxRetentionMs: options.outboxRetentionMs ?? 24 * 60 * 60_000,
    idempotencyPurgeEveryMs: options.idempotencyPurgeIntervalMs ?? 60 * 60_000,
    sweepBatchSize: 500,
  };

  const prefix = bullPrefix(options.redisPrefix);
  const traced = options.telemetry ? { telemetry: options.telemetry } : {};
  // An idle queue's worker blocks on its marker this long (seconds; BullMQ's default is 5) before it
  // looks again: a new or due job wakes it at once, so only idle polling gets rarer.
  const drainDelay = 10;
  const workers: Worker[] = [];
  for (const queue of JOB_QUEUE_NAMES) {
    workers.push(new Worker(queue, metrics.timed(queue, processorFor(deps, queue)), { connection, prefix, concurrency, drainDelay, ...traced }));
  }
  workers.push(
    new Worker(MAINTENANCE_QUEUE, metrics.timed(MAINTENANCE_QUEUE, maintenanceProcessor(deps, schedulers)), {
      connection,
      prefix,
      concurrency: 1,
      drainDelay,
    }),
  );
  metrics.watchQueues(Object.values(queues));
  for (const worker of workers) {
    const queue = worker.name;
    worker.on("completed", (job) => {
      metrics.inc("jobs_completed_total", { queue });
      metrics.jobAttempts.observe({ queue, outcome: "completed" }, job.attemptsMade);
    });
    worker.on("failed", (job, error) => {
      metrics.inc("jobs_failed_attempts_total", { queue });
      if (!job) return;
      if (!isFinalFailure(job, error)) {
        log.warn({ queue, jobId: job.id, attempt: job.attemptsMade, err: error }, "job attempt failed; retrying with backoff");
        return;
      }
      metrics.jobAttempts.observe({ queue, outcome: "failed" }, job.attemptsMade);
      recordFinalFailure(deps, queue, job, error).catch((e: unknown) =>
        log.error({ err: e, queue, jobId: job.id }, "could not record a job failure"),
      );
    });
    worker.on("error", (error) => log.error({ err: error, queue }, "worker error"));
  }

  await upsertSchedulers(queues, schedulers);
  // Redis may come back without its data (FLUSHALL, a restart without persistence): the job
  // schedulers, and with them the order-timeout sweep that re-creates lost timeouts, would be
  // gone until a worker restart. Upserting them on every reconnect is idempotent (fixed ids).
  connection.on("ready", () => {
    upsertSchedulers(queues, schedulers).catch((error: unknown) => log.warn({ err: error }, "could not re-upsert the job schedulers after a reconnect"));
  });

  const relay = new OutboxRelay({
    outbox,
    queues,
    log,
    metrics,
    ...(options.relayPollIntervalMs !== undefined ? { pollIntervalMs: options.relayPollIntervalMs } : {}),
    ...(options.relayBatchSize !== undefined ? { batchSize: options.relayBatchSize } : {}),
    ...(options.relayGraceMs !== undefined ? { graceMs: options.relayGraceMs } : {}),
  });
  // Also catches a FLUSHALL that dropped no connection; checked every few seconds.
  const lostJobs = lostJobsGuard({
    redis: connection,
    outbox,
    redisPrefix: options.redisPrefix,
    log,
    onLost: () => upsertSchedulers(queues, schedulers),
    ...(options.lostJobsCheckIntervalMs !== undefined ? { everyMs: options.lostJobsCheckIntervalMs } : {}),
    wake: () => relay.trigger(),
  });
  connection.on("ready", () => void lostJobs.check());
  await lostJobs.check();
  await relay.start();
  log.info({ concurrency, queues: workers.map((w) => w.name), prefix }, "worker started");

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      lostJobs.stop();
      await relay.stop();
      // close() waits for jobs in flight; the workers take no new ones meanwhile.
      await Promise.allSettled(workers.map((w) => w.close()));
      await dispatcher.close();
      outbox.onCommit(null);
      await closeQueues(queues);
      for (const closer of closers.reverse()) await closer().catch(() => {});
      log.info("worker stopped");
    })());

  return { deps, queues, metrics, relay, close };
}
