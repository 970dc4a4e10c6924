import { ALL_QUEUE_NAMES, JOB_QUEUE_NAMES } from "@order-flow/queues";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import type { AppEnv } from "../src/context.ts";
import { createApiMetrics } from "../src/metrics.ts";
import { adminAuth } from "../src/middleware/admin-auth.ts";
import { problemResponse, toProblem } from "../src/problem.ts";
import { JWT_SECRET, createHarness, token, type Harness } from "./support/harness.ts";

const ADMIN_USER = "ops";
const ADMIN_PASSWORD = "s3cret-pass";
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function until<T>(check: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await check();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await check();
  }
  return last;
}

describe("queue dashboard at /admin/queues", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true, adminUser: ADMIN_USER, adminPassword: ADMIN_PASSWORD });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refuses a request without credentials: 401 problem with a Basic challenge", async () => {
    const res = await h.call("GET", "/admin/queues");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="queues"/);
    expect(res.body).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    // The JSON API and the static assets are behind the same gate.
    expect((await h.call("GET", "/admin/queues/api/queues")).status).toBe(401);
    expect((await h.call("GET", "/admin/queues/static/favicon-32x32.png")).status).toBe(401);
  });

  it("refuses customer and store tokens (403) and invalid tokens (401)", async () => {
    for (const t of [h.tokens.customer, h.tokens.store]) {
      const res = await h.call("GET", "/admin/queues", { token: t });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: "FORBIDDEN" });
    }
    const expired = await token({ role: "admin", exp: Math.floor(Date.now() / 1000) - 60 });
    const res = await h.call("GET", "/admin/queues", { token: expired });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic/);
  });

  it("opens with an admin token, or with ADMIN_USER / ADMIN_PASSWORD; not with a wrong password", async () => {
    const withToken = await h.call("GET", "/admin/queues", { token: h.tokens.admin });
    expect(withToken.status).toBe(200);
    expect(withToken.headers.get("content-type")).toContain("text/html");
    expect(String(withToken.body)).toContain('<base href="/admin/queues/"');
    // Its assets are served too (from @bull-board/ui, whatever the working directory).
    const asset = await h.app.request("/admin/queues/static/favicon-32x32.png", { headers: { Authorization: `Bearer ${h.tokens.admin}` } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("image/png");

    const withBasic = await h.call("GET", "/admin/queues", { headers: { Authorization: basic(ADMIN_USER, ADMIN_PASSWORD) } });
    expect(withBasic.status).toBe(200);
    expect(withBasic.headers.get("content-type")).toContain("text/html");

    for (const [user, password] of [
      [ADMIN_USER, "wrong"],
      ["someone", ADMIN_PASSWORD],
      ["", ""],
    ] as const) {
      const res = await h.call("GET", "/admin/queues", { headers: { Authorization: basic(user, password) } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="queues"/);
    }
  });

  it("lists every queue in its JSON API", async () => {
    const res = await h.call("GET", "/admin/queues/api/queues", { token: h.tokens.admin });
    expect(res.status).toBe(200);
    const names = (res.body.queues as { name: string; readOnlyMode: boolean }[]).map((q) => q.name).sort();
    expect(names).toEqual([...ALL_QUEUE_NAMES].sort());
    expect(res.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode === false)).toBe(true);
  });

  it("shows a failed job with its error and attempts, and retries it from the board", async () => {
    const queue = h.queues!["order-created"];
    const worker = await h.startWorker();
    const job = await queue.add("OrderCreated", { type: "OrderCreated", malformed: true }, { attempts: 1 });
    await until(() => job.getState(), (state) => state === "failed");
    // No worker while retrying: the job must stay where the retry put it.
    await worker.close();

    const listed = await h.call(
      "GET",
      "/admin/queues/api/queues?activeQueue=order-created&status=failed&page=1&jobsPerPage=10",
      { headers: { Authorization: basic(ADMIN_USER, ADMIN_PASSWORD) } },
    );
    expect(listed.status).toBe(200);
    const board = listed.body.queues.find((q: { name: string }) => q.name === "order-created");
    expect(board.counts.failed).toBe(1);
    const shown = board.jobs.find((j: { id: string }) => j.id === job.id);
    expect(shown.failedReason).toMatch(/invalid OrderCreated payload/);
    expect(shown.attempts).toBe(1);

    const retried = await h.call("PUT", `/admin/queues/api/queues/order-created/${job.id}/retry`, { token: h.tokens.admin });
    expect(retried.status).toBeLessThan(300);
    expect(await queue.getJobState(job.id!)).toBe("waiting");
    expect(await queue.getJobCountByTypes("failed")).toBe(0);
  });
});

describe("without queues or admin credentials", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("has no dashboard (404) and no queue gauges", async () => {
    expect((await h.call("GET", "/admin/queues", { token: h.tokens.admin })).status).toBe(404);
    const metrics = await h.call("GET", "/metrics");
    expect(metrics.body).not.toMatch(/^bullmq_queue_jobs\{/m);
  });
});

describe("/metrics during a flow", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("names every operational metric on the API's and the worker's /metrics", async () => {
    const worker = await h.startWorker();
    const productId = await h.product({ onHand: 5 });
    const placed = await h.placeOrder([{ productId, quantity: 1 }]);
    expect(placed.status).toBe(201);
    const payment = await h.call("POST", `/orders/${placed.body.id}/payment`, { token: h.tokens.customer });
    expect(payment.status).toBe(202);
    const done = await h.call("POST", `/sandbox/payments/${payment.body.paymentId}/complete`, {
      token: h.tokens.customer,
      body: { outcome: "PAID" },
    });
    expect(done.status).toBe(202);
    await h.waitForOrder(placed.body.id, (o) => o.status === "PREPARING");

    const api = await h.call("GET", "/metrics");
    expect(api.status).toBe(200);
    const apiText = String(api.body);
    for (const name of [
      "http_request_duration_seconds",
      "orders_transitions_total",
      "stock_reservations_total",
      "bullmq_queue_jobs",
      "outbox_pending_events",
    ]) {
      expect(apiText, name).toContain(`# TYPE ${name} `);
    }
    for (const queue of ALL_QUEUE_NAMES) {
      for (const state of ["waiting", "active", "delayed", "failed"]) {
        expect(apiText).toMatch(new RegExp(`^bullmq_queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+`, "m"));
      }
    }
    expect(apiText).toMatch(/^outbox_pending_events \d+$/m);
    expect(apiText).toMatch(/^http_request_duration_seconds_count\{method="POST",route="\/orders",status="201"\} 1$/m);

    const workerText = await worker.metrics.text();
    for (const name of [
      "bullmq_job_duration_seconds",
      "bullmq_job_attempts",
      "jobs_dead_lettered_total",
      "orders_transitions_total",
      "stock_reservations_swept_total",
      "orders_timed_out_total",
      "order_timeout_lateness_seconds",
      "outbox_relay_latency_seconds",
      "outbox_relayed_total",
      "bullmq_queue_jobs",
    ]) {
      expect(workerText, name).toContain(`# TYPE ${name} `);
    }
    // The flow itself went through them.
    expect(workerText).toMatch(/^orders_transitions_total\{from="PAYMENT_COMPLETED",to="ORDER_CONFIRMED"\} 1$/m);
    expect(workerText).toMatch(/^outbox_relay_latency_seconds_count [1-9]\d*$/m);
    expect(workerText).toMatch(/^outbox_relayed_total [1-9]\d*$/m);
    expect(workerText).toMatch(/^bullmq_job_duration_seconds_count\{queue="payment-completed",outcome="completed"\} 1$/m);
    expect(workerText).toMatch(/^bullmq_job_attempts_count\{queue="payment-completed",outcome="completed"\} 1$/m);
    for (const queue of JOB_QUEUE_NAMES) expect(workerText).toContain(`bullmq_queue_jobs{queue="${queue}",state="waiting"}`);
  });
});

describe("admin auth without ADMIN_USER / ADMIN_PASSWORD", () => {
  const app = new Hono<AppEnv>();
  app.use("*", adminAuth({ jwtSecret: JWT_SECRET, user: undefined, password: undefined }));
  app.get("/", (c) => c.text("board"));
  app.onError((err, c) => problemResponse(c, toProblem(err)));

  it("turns basic auth off: no challenge, and any Basic header is refused", async () => {
    const none = await app.request("/");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBeNull();
    const withBasic = await app.request("/", { headers: { Authorization: basic("", "") } });
    expect(withBasic.status).toBe(401);
    const admin = await app.request("/", { headers: { Authorization: `Bearer ${await token({ role: "admin" })}` } });
    expect(admin.status).toBe(200);
  });
});

describe("API /metrics scrape", () => {
  it("does not hang on Redis or PostgreSQL that never answer, and says so", async () => {
    const metrics = createApiMetrics({ scrapeTimeoutMs: 50 });
    const never = () => new Promise<never>(() => {});
    metrics.watch({ queues: [{ name: "stuck", getJobCounts: never }], outboxPending: never });
    const started = Date.now();
    const text = await metrics.registry.metrics();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(text).not.toContain('bullmq_queue_jobs{queue="stuck"');
    expect(text).toMatch(/^outbox_pending_events nan$/im);
    // Metrics are collected side by side, so the failures show from the next scrape.
    const next = await metrics.registry.metrics();
    expect(next).toContain('metrics_collect_failures_total{source="bullmq_queue_jobs"} 1');
    expect(next).toContain('metrics_collect_failures_total{source="outbox_pending_events"} 1');
  });
});
