import type { Logger } from "@order-flow/config";
import { OUTBOX_CHANNEL, outboxRepository, type OutboxRow, type PrismaClient } from "@order-flow/db";
import { jobName, jobPayloadSchema, queueForJob, type JobQueueName, type Queues } from "@order-flow/queues";
import pg from "pg";
import type { WorkerMetrics } from "./metrics.ts";

export type OutboxRelayOptions = {
  prisma: PrismaClient;
  /** for the dedicated LISTEN connection */
  databaseUrl: string;
  queues: Queues;
  log: Logger;
  metrics: WorkerMetrics;
  /** fallback polling, for NOTIFYs missed while the listener reconnects */
  pollIntervalMs?: number;
  batchSize?: number;
  reconnectDelayMs?: number;
  /** an enqueue slower than this fails the batch (rows stay unsent) */
  publishTimeoutMs?: number;
  /**
   * a NOTIFY starts a pass this much later, so that the commits of the next few ms ride along:
   * under load one pass per burst instead of one per commit, in every worker process
   */
  coalesceMs?: number;
};

type BulkJob = {
  name: string;
  data: unknown;
  /** telemetry.metadata: the trace context restored from the row, so the job's span continues the writer's trace */
  opts: { jobId: string; delay?: number; telemetry?: { metadata: string } };
};

/**
 * Moves committed outbox rows into BullMQ. Woken by NOTIFY on commit (a few ms), with polling
 * as the fallback. Safe with many processes: relayBatch locks rows FOR UPDATE SKIP LOCKED and
 * marks them sent in the same transaction; jobId = eventId, so a re-send after a crash collapses.
 */
export class OutboxRelay {
  readonly #o: Required<Omit<OutboxRelayOptions, "log" | "metrics" | "prisma" | "queues" | "databaseUrl">> &
    OutboxRelayOptions;
  #listener: pg.Client | null = null;
  #pollTimer: NodeJS.Timeout | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #wakeTimer: NodeJS.Timeout | null = null;
  #draining: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(options: OutboxRelayOptions) {
    this.#o = { pollIntervalMs: 500, batchSize: 200, reconnectDelayMs: 1_000, publishTimeoutMs: 10_000, coalesceMs: 5, ...options };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#listen();
    this.#pollTimer = setInterval(() => this.trigger(), this.#o.pollIntervalMs);
    this.#pollTimer.unref();
    this.trigger();
  }

  /** Drains now (or right after the drain in progress). */
  trigger(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drainLoop().finally(() => {
      this.#draining = null;
      if (this.#again) {
        this.#again = false;
        this.trigger();
      }
    });
  }

  /** Resolves when everything committed so far has been relayed (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    await this.#drainLoop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#pollTimer = this.#reconnectTimer = this.#wakeTimer = null;
    if (this.#draining) await this.#draining.catch(() => {});
    const listener = this.#listener;
    this.#listener = null;
    if (listener) await listener.end().catch(() => {});
  }

  #wake(): void {
    this.#wakeTimer ??= setTimeout(() => {
      this.#wakeTimer = null;
      this.trigger();
    }, this.#o.coalesceMs);
  }

  async #drainLoop(): Promise<void> {
    try {
      for (;;) {
        const relayed = await outboxRepository.relayBatch(this.#o.prisma, this.#o.batchSize, (rows) => this.#publish(rows));
        if (relayed > 0) this.#o.metrics.inc("outbox_relayed_total", {}, relayed);
        if (relayed < this.#o.batchSize || this.#stopped) return;
      }
    } catch (error) {
      this.#o.metrics.inc("outbox_relay_errors_total");
      this.#o.log.warn({ err: error }, "outbox relay pass failed; rows stay pending for the next pass");
    }
  }

  async #publish(rows: OutboxRow[]): Promise<void> {
    const byQueue = new Map<JobQueueName, BulkJob[]>();
    const now = Date.now();
    for (const row of rows) {
      const parsed = jobPayloadSchema.safeParse(row.payload);
      if (!parsed.success) {
        // A poison row must not block the ones behind it: it is marked sent and logged loudly.
        this.#o.metrics.inc("outbox_invalid_rows_total");
        this.#o.log.error({ outboxId: row.id, eventType: row.eventType, issues: parsed.error.issues }, "invalid outbox payload skipped");
        continue;
      }
      const payload = parsed.data;
      const queue = queueForJob(payload.type);
      const delay = Math.max(0, row.availableAt.getTime() - now);
      const jobs = byQueue.get(queue) ?? [];
      const opts = {
        jobId: payload.eventId,
        ...(delay > 0 ? { delay } : {}),
        ...(row.traceContext ? { telemetry: { metadata: row.traceContext } } : {}),
      };
      jobs.push({ name: jobName(payload.type, row.orderNumber), data: payload, opts });
      byQueue.set(queue, jobs);
    }
    const adds = Promise.all([...byQueue].map(([queue, jobs]) => this.#o.queues[queue].addBulk(jobs)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("enqueue timed out")), this.#o.publishTimeoutMs);
    });
    try {
      await Promise.race([adds, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // created_at is the event's occurredAt (OrderWrite.events), so it is read from the payload.
    const published = Date.now();
    for (const jobs of byQueue.values()) {
      for (const job of jobs) {
        const createdAt = Date.parse((job.data as { occurredAt: string }).occurredAt);
        if (Number.isFinite(createdAt)) this.#o.metrics.relayLatency.observe(Math.max(0, published - createdAt) / 1000);
      }
    }
  }

  async #listen(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({ connectionString: this.#o.databaseUrl });
    const retry = (error: unknown) => {
      if (this.#listener !== client && this.#listener !== null) return;
      this.#listener = null;
      client.end().catch(() => {});
      if (this.#stopped) return;
      this.#o.log.warn({ err: error }, "outbox listener lost; reconnecting (polling meanwhile)");
      this.#reconnectTimer ??= setTimeout(() => {
        this.#reconnectTimer = null;
        void this.#listen().then(() => this.trigger());
      }, this.#o.reconnectDelayMs);
      this.#reconnectTimer.unref();
    };
    client.on("error", retry);
    client.on("end", () => {
      if (!this.#stopped && this.#listener === client) retry(new Error("listener connection ended"));
    });
    client.on("notification", () => this.#wake());
    try {
      this.#listener = client;
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      retry(error);
    }
  }
}
