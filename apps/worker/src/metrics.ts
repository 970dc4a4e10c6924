import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

type Labels = Record<string, string>;

/** What the queue gauges need of a BullMQ Queue. */
export type CountableQueue = {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
};

export const QUEUE_STATES = ["waiting", "active", "delayed", "failed"] as const;

/** A scrape reads Redis; an outage must cost it at most this long, not hang it. */
export const SCRAPE_TIMEOUT_MS = 1_000;

/** Counters that exist from the start (so they show at 0) with their help text and labels. */
const COUNTERS: Record<string, { help: string; labelNames: string[] }> = {
  jobs_completed_total: { help: "Jobs completed, by queue", labelNames: ["queue"] },
  jobs_failed_attempts_total: { help: "Job attempts that failed (retried or not), by queue", labelNames: ["queue"] },
  jobs_dead_lettered_total: { help: "Jobs failed for good (left in the failed set), by queue", labelNames: ["queue"] },
  orders_timed_out_total: { help: "Payment timeouts fired: orders moved to PAYMENT_TIMEOUT", labelNames: [] },
  stock_reservations_swept_total: { help: "Stock holds released by the reservation sweep", labelNames: [] },
  outbox_relayed_total: { help: "Outbox rows relayed to their queues", labelNames: [] },
  outbox_relay_errors_total: { help: "Relay passes that failed (rows stay pending)", labelNames: [] },
  outbox_invalid_rows_total: { help: "Outbox rows skipped because their payload is invalid", labelNames: [] },
};

function labelKey(labels: Labels): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
    .join(",");
}

/** The worker's metrics, in a prom-client registry of its own (several runtimes may share a process). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly jobDuration = new Histogram({
    name: "bullmq_job_duration_seconds",
    help: "Time a job attempt spent in its processor, by queue and outcome (completed, failed, delayed)",
    labelNames: ["queue", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly jobAttempts = new Histogram({
    name: "bullmq_job_attempts",
    help: "Attempts a job took when it finished, by queue and outcome (completed, failed)",
    labelNames: ["queue", "outcome"] as const,
    buckets: [1, 2, 3, 4, 5, 6, 7, 8, 10],
    registers: [this.registry],
  });
  readonly orderTransitions = new Counter({
    name: "orders_transitions_total",
    help: "Order status transitions applied by the worker, by from and to status",
    labelNames: ["from", "to"] as const,
    registers: [this.registry],
  });
  readonly timeoutLateness = new Histogram({
    name: "order_timeout_lateness_seconds",
    help: "How long after its expiresAt an order's payment timeout was applied",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly relayLatency = new Histogram({
    name: "outbox_relay_latency_seconds",
    help: "From an outbox row's created_at to its job being in the queue",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly #counters = new Map<string, Counter<string>>();
  // The same counts, kept for the synchronous toPrometheus() that main.ts still serves.
  readonly #legacy = new Map<string, Map<string, number>>();
  #queues: readonly CountableQueue[] = [];

  constructor(options: { defaultMetrics?: boolean; scrapeTimeoutMs?: number } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    for (const [name, spec] of Object.entries(COUNTERS)) this.#counter(name, spec.labelNames);
    const timeoutMs = options.scrapeTimeoutMs ?? SCRAPE_TIMEOUT_MS;
    const collectFailures = new Counter({
      name: "metrics_collect_failures_total",
      help: "Scrape-time collections that failed or timed out, by source",
      labelNames: ["source"] as const,
      registers: [this.registry],
    });
    const queues = () => this.#queues;
    new Gauge({
      name: "bullmq_queue_jobs",
      help: "Jobs per queue and state, read at scrape time",
      labelNames: ["queue", "state"] as const,
      registers: [this.registry],
      async collect() {
        if (queues().length === 0) return;
        let timer: NodeJS.Timeout | undefined;
        try {
          const counts = await Promise.race([
            Promise.all(queues().map(async (q) => [q.name, await q.getJobCounts(...QUEUE_STATES)] as const)),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error("queue counts timed out")), timeoutMs);
              timer.unref();
            }),
          ]);
          this.reset();
          for (const [queue, byState] of counts) {
            for (const state of QUEUE_STATES) this.labels(queue, state).set(byState[state] ?? 0);
          }
        } catch {
          // No figure beats a stale one: the series disappear and the failure counter says why.
          this.reset();
          collectFailures.labels("bullmq_queue_jobs").inc();
        } finally {
          clearTimeout(timer);
        }
      },
    });
  }

  #counter(name: string, labelNames: string[]): Counter<string> {
    let counter = this.#counters.get(name);
    if (!counter) {
      counter = new Counter({ name, help: COUNTERS[name]?.help ?? name, labelNames, registers: [this.registry] });
      this.#counters.set(name, counter);
    }
    return counter;
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    this.#counter(name, Object.keys(labels)).inc(labels, by);
    const values = this.#legacy.get(name) ?? new Map<string, number>();
    this.#legacy.set(name, values);
    const key = labelKey(labels);
    values.set(key, (values.get(key) ?? 0) + by);
  }

  value(name: string, labels: Labels = {}): number {
    return this.#legacy.get(name)?.get(labelKey(labels)) ?? 0;
  }

  /** The queues whose job counts are read on each scrape. */
  watchQueues(queues: readonly CountableQueue[]): void {
    this.#queues = queues;
  }

  /** Times one job attempt; a DelayedError is the handler postponing the job, not a failure. */
  timed<A extends unknown[], R>(queue: string, processor: (...args: A) => Promise<R>) {
    return async (...args: A): Promise<R> => {
      const end = this.jobDuration.startTimer({ queue });
      try {
        const result = await processor(...args);
        end({ outcome: "completed" });
        return result;
      } catch (error) {
        end({ outcome: (error as Error | undefined)?.name === "DelayedError" ? "delayed" : "failed" });
        throw error;
      }
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The whole registry in Prometheus text, queue gauges read now: what /metrics should serve. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** @deprecated counters only, synchronously; serve `await text()` instead. */
  toPrometheus(): string {
    const lines: string[] = [];
    for (const [name, values] of this.#legacy) {
      lines.push(`# TYPE ${name} counter`);
      for (const [key, value] of values) lines.push(`${name}${key ? `{${key}}` : ""} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
