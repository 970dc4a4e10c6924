import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerRuntime } from "../src/runtime.ts";
import { WorkerMetrics } from "../src/metrics.ts";
import { createHarness, eventually, placeOrder, seedProduct, statusOf, type Harness } from "./support/harness.ts";

/** The value of one sample line of the Prometheus text, or 0 when it is not there. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("worker metrics", () => {
  let h: Harness;
  let runtime: WorkerRuntime;
  beforeAll(async () => {
    h = await createHarness();
    runtime = await h.start({ orderTimeoutSweepIntervalMs: 1_000, reservationSweepIntervalMs: 500, reservationSweepGraceMs: 0 });
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it("count a payment timeout and its lateness after the deadline", async () => {
    const { order } = await placeOrder(h, { holdSeconds: 1 });
    await eventually(() => statusOf(h, order.id), (s) => s === "PAYMENT_TIMEOUT");
    // The job is counted once its processor returns, a moment after the commit seen above.
    const text = await eventually(
      () => runtime.metrics.text(),
      (t) => sample(t, 'bullmq_job_duration_seconds_count{queue="order-timeout",outcome="completed"}') > 0,
    );
    expect(sample(text, "orders_timed_out_total")).toBe(1);
    expect(sample(text, "order_timeout_lateness_seconds_count")).toBe(1);
    // Fired at the deadline by the delayed job: late by well under the sweep's interval.
    expect(sample(text, "order_timeout_lateness_seconds_sum")).toBeLessThan(5);
    expect(sample(text, `orders_transitions_total{from="${order.status}",to="PAYMENT_TIMEOUT"}`)).toBe(1);
    expect(sample(text, "outbox_relay_latency_seconds_count")).toBeGreaterThan(0);
  });

  it("count a job failed for good, with its attempts", async () => {
    const job = await runtime.queues["order-created"].add("OrderCreated", { type: "OrderCreated", malformed: true }, { attempts: 1 });
    await eventually(() => job.getState(), (s) => s === "failed");
    const text = await eventually(
      () => runtime.metrics.text(),
      (t) => sample(t, 'jobs_dead_lettered_total{queue="order-created"}') === 1,
    );
    expect(sample(text, 'bullmq_job_attempts_count{queue="order-created",outcome="failed"}')).toBe(1);
    expect(sample(text, 'bullmq_job_duration_seconds_count{queue="order-created",outcome="failed"}')).toBe(1);
    expect(sample(text, 'bullmq_queue_jobs{queue="order-created",state="failed"}')).toBe(1);
  });

  it("count holds released by the reservation sweep", async () => {
    // A hold whose order was never written (the API died after reserving) is the sweep's to release.
    const { storeId, productId } = await seedProduct(h, 5);
    const { result: held } = await h.stock.holdOnly({ orderId: randomUUID(), storeId, items: [{ productId, quantity: 1 }], holdSeconds: 1, now: new Date() });
    expect(held.ok).toBe(true);
    await eventually(
      () => runtime.metrics.text(),
      (t) => sample(t, "stock_reservations_swept_total") >= 1,
    );
  });
});

describe("WorkerMetrics scrape", () => {
  it("does not hang on a queue that never answers, and says so", async () => {
    const metrics = new WorkerMetrics({ defaultMetrics: false, scrapeTimeoutMs: 50 });
    metrics.watchQueues([{ name: "stuck", getJobCounts: () => new Promise(() => {}) }]);
    const started = Date.now();
    const text = await metrics.text();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(text).not.toContain('bullmq_queue_jobs{queue="stuck"');
    // Metrics are collected side by side, so the failure shows from the next scrape.
    expect(sample(await metrics.text(), 'metrics_collect_failures_total{source="bullmq_queue_jobs"}')).toBe(1);
  });

  it("keeps the counters of inc() and their synchronous text", () => {
    const metrics = new WorkerMetrics({ defaultMetrics: false });
    metrics.inc("payments_refunded_total", { kind: "REFUND_COMPLETED" });
    metrics.inc("payments_refunded_total", { kind: "REFUND_COMPLETED" });
    expect(metrics.value("payments_refunded_total", { kind: "REFUND_COMPLETED" })).toBe(2);
    expect(metrics.toPrometheus()).toContain('payments_refunded_total{kind="REFUND_COMPLETED"} 2');
  });
});
