import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** What /metrics needs of a BullMQ Queue (a structural type keeps tests free to pass stubs). */
export type CountableQueue = {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
};

/** Read on every scrape; each source is optional (no queues given → no queue gauges). */
export type ScrapeSources = {
  queues?: readonly CountableQueue[];
  outboxPending?: () => Promise<number>;
};

export type ReservationOutcome = "made" | "failed" | "error";

/**
 * What the order services report to (an optional `metrics` dep of theirs): a transition once it
 * is committed, and each stock hold attempted.
 */
export type OrderMetricsHook = {
  recordTransition(from: string, to: string): void;
  recordReservation(outcome: ReservationOutcome): void;
};

export const QUEUE_STATES = ["waiting", "active", "delayed", "failed"] as const;

/** A scrape reads Redis and PostgreSQL; an outage must cost it at most this long, not hang it. */
export const SCRAPE_TIMEOUT_MS = 1_000;

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createApiMetrics(options: { scrapeTimeoutMs?: number } = {}) {
  const scrapeTimeoutMs = options.scrapeTimeoutMs ?? SCRAPE_TIMEOUT_MS;
  const sources: ScrapeSources = {};
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
  const orderTransitions = new Counter({
    name: "orders_transitions_total",
    help: "Order status transitions applied by the API, by from and to status",
    labelNames: ["from", "to"] as const,
    registers: [registry],
  });
  const stockReservations = new Counter({
    name: "stock_reservations_total",
    help: "Stock holds attempted by the API: made, failed (not enough stock) or error (backing service)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const collectFailures = new Counter({
    name: "metrics_collect_failures_total",
    help: "Scrape-time collections that failed or timed out, by source",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "bullmq_queue_jobs",
    help: "Jobs per queue and state, read at scrape time",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      if (!sources.queues?.length) return;
      try {
        const counts = await withTimeout(
          Promise.all(sources.queues.map(async (q) => [q.name, await q.getJobCounts(...QUEUE_STATES)] as const)),
          scrapeTimeoutMs,
        );
        this.reset();
        for (const [queue, byState] of counts) {
          for (const state of QUEUE_STATES) this.labels(queue, state).set(byState[state] ?? 0);
        }
      } catch {
        // No figure beats a stale one: the series disappear and the failure counter says why.
        this.reset();
        collectFailures.labels("bullmq_queue_jobs").inc();
      }
    },
  });
  new Gauge({
    name: "outbox_pending_events",
    help: "Outbox rows committed but not yet relayed to a queue, read at scrape time",
    registers: [registry],
    async collect() {
      if (!sources.outboxPending) return;
      try {
        this.set(await withTimeout(sources.outboxPending(), scrapeTimeoutMs));
      } catch {
        this.set(Number.NaN);
        collectFailures.labels("outbox_pending_events").inc();
      }
    },
  });

  return {
    registry,
    httpDuration,
    ordersPlaced,
    orderTransitions,
    stockReservations,
    recordTransition(from: string, to: string): void {
      orderTransitions.labels(from, to).inc();
    },
    recordReservation(outcome: ReservationOutcome): void {
      stockReservations.labels(outcome).inc();
    },
    /** Gives the scrape-time gauges what they read (the app does this once it has its deps). */
    watch(next: ScrapeSources): void {
      Object.assign(sources, next);
    },
  };
}
