import type { Logger } from "@order-flow/config";
import type { Outbox, OutboxEvent } from "@order-flow/domain";
import { addOutboxJobs, outboxJobsByQueue, type OutboxJob, type Queues } from "@order-flow/queues";
import type { WorkerMetrics } from "./metrics.ts";

export type OutboxRelayOptions = {
  outbox: Outbox;
  queues: Queues;
  log: Logger;
  metrics: WorkerMetrics;
  /** how often a pass looks for rows the committing process did not put in the queues */
  pollIntervalMs?: number;
  batchSize?: number;
  /**
   * rows committed less than this long ago are left to the process that committed them (its
   * OutboxDispatcher adds them right after the commit); a pass taking them would add them twice
   */
  graceMs?: number;
  /** an enqueue slower than this fails the batch (rows stay unsent) */
  publishTimeoutMs?: number;
};

/** Observes the relay latency of jobs just added (from their event's occurredAt). */
export function observeRelayed(metrics: WorkerMetrics, jobs: readonly OutboxJob[]): void {
  const published = Date.now();
  for (const job of jobs) {
    const createdAt = Date.parse(job.data.occurredAt);
    if (Number.isFinite(createdAt)) metrics.relayLatency.observe(Math.max(0, published - createdAt) / 1000);
  }
  if (jobs.length > 0) metrics.inc("outbox_relayed_total", {}, jobs.length);
}

/**
 * The safety net of the outbox: the process that commits an event puts it in the queues
 * itself (OutboxDispatcher); this pass, polled, publishes what a crash or a Redis error left
 * unsent. One pass runs at a time across all processes (an advisory lock in relayBatch);
 * rows are marked sent in the pass's transaction, and jobId = eventId, so a re-send collapses.
 */
export class OutboxRelay {
  readonly #o: Required<Omit<OutboxRelayOptions, "log" | "metrics" | "outbox" | "queues">> & OutboxRelayOptions;
  #pollTimer: NodeJS.Timeout | null = null;
  #draining: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(options: OutboxRelayOptions) {
    this.#o = { pollIntervalMs: 500, batchSize: 200, graceMs: 1_000, publishTimeoutMs: 10_000, ...options };
  }

  async start(): Promise<void> {
    this.#stopped = false;
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
    this.#flushing = true;
    try {
      await this.#drainLoop();
    } finally {
      this.#flushing = false;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
    if (this.#draining) await this.#draining.catch(() => {});
  }

  /** flush() takes every unsent row: it is asked for everything committed so far. */
  #flushing = false;

  get #graceMs(): number {
    return this.#flushing ? 0 : this.#o.graceMs;
  }

  async #drainLoop(): Promise<void> {
    try {
      for (;;) {
        const relayed = await this.#o.outbox.relayBatch(this.#o.batchSize, (events) => this.#publish(events), this.#graceMs);
        if (relayed < this.#o.batchSize || this.#stopped) return;
      }
    } catch (error) {
      this.#o.metrics.inc("outbox_relay_errors_total");
      this.#o.log.warn({ err: error }, "outbox relay pass failed; rows stay pending for the next pass");
    }
  }

  async #publish(events: OutboxEvent[]): Promise<void> {
    const byQueue = outboxJobsByQueue(events, Date.now(), (event, issues) => {
      // A poison row must not block the ones behind it: it is marked sent and logged loudly.
      this.#o.metrics.inc("outbox_invalid_rows_total");
      this.#o.log.error({ outboxId: event.id, eventType: (event as OutboxEvent).eventType, issues }, "invalid outbox payload skipped");
    });
    await addOutboxJobs(this.#o.queues, byQueue, this.#o.publishTimeoutMs);
    observeRelayed(this.#o.metrics, [...byQueue.values()].flat());
  }
}
