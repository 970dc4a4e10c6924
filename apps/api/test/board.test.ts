import { loadEnv } from "@order-flow/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";

const admin = (h: Harness) => ({ Authorization: `Bearer ${h.tokens.admin}` });

/** Adds a job that fails at once (its payload is not valid) and waits until it is in the failed set. */
async function failedJob(h: Harness) {
  const queue = h.queues!["order-created"];
  const worker = await h.startWorker();
  const job = await queue.add("OrderCreated", { type: "OrderCreated", malformed: true }, { attempts: 1 });
  const deadline = Date.now() + 15_000;
  while ((await job.getState()) !== "failed") {
    if (Date.now() > deadline) throw new Error("the job did not fail in time");
    await new Promise((r) => setTimeout(r, 50));
  }
  await worker.close();
  return job;
}

describe("queue dashboard links", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("serves every link of its overview on a direct load, with and without a trailing slash", async () => {
    const job = await failedJob(h);
    const overview = await h.app.request("/admin/queues", { headers: admin(h) });
    expect(overview.status).toBe(200);
    const html = await overview.text();
    const base = html.match(/<base href="([^"]+)"/)?.[1];
    expect(base).toBe("/admin/queues/");
    const origin = "http://localhost";
    const resolve = (href: string) => new URL(href, new URL(base!, origin)).toString().slice(origin.length);

    // The overview's links, as its router builds them under the base: home, schedulers, one per
    // queue (also filtered by status), and a job's own page.
    const names = ((await (await h.app.request("/admin/queues/api/queues", { headers: admin(h) })).json()) as {
      queues: { name: string }[];
    }).queues.map((q) => q.name);
    expect(names.length).toBeGreaterThan(1);
    const pages = [
      "./",
      "job-schedulers",
      ...names.flatMap((name) => [`queue/${encodeURIComponent(name)}`, `queue/${encodeURIComponent(name)}?status=failed`]),
      `queue/order-created/${encodeURIComponent(job.id!)}`,
    ].map(resolve);
    expect(pages).toContain("/admin/queues/");
    const withAndWithoutSlash = pages.flatMap((page) => {
      const [path, query] = page.split("?");
      const other = path!.endsWith("/") ? path!.replace(/\/+$/, "") : `${path}/`;
      return [page, query ? `${other}?${query}` : other];
    });
    for (const page of withAndWithoutSlash) {
      const res = await h.app.request(page, { headers: admin(h) });
      expect(res.status, page).toBe(200);
      expect(res.headers.get("content-type"), page).toContain("text/html");
      expect(await res.text(), page).toContain('<base href="/admin/queues/"');
    }

    // What the page itself loads from this server (scripts, styles, icons) is there too.
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)]
      .map((m) => m[1]!)
      .filter((href) => !/^[a-z]+:\/\//i.test(href) && href !== base);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets.map(resolve)) {
      expect((await h.app.request(asset, { headers: admin(h) })).status, asset).toBe(200);
    }
  });

  it("keeps the gate on the slash form and answers 404 problems for pages it does not have", async () => {
    expect((await h.call("GET", "/admin/queues/")).status).toBe(401);
    expect((await h.call("GET", "/admin/queues/queue/order-created/")).status).toBe(401);
    const missing = await h.call("GET", "/admin/queues/no-such-page/", { token: h.tokens.admin });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("queue dashboard actions by default", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refuses empty, obliterate, clean and job edits (403) and keeps the jobs; retry still works", async () => {
    const job = await failedJob(h);
    const queue = h.queues!["order-created"];
    const refused = [
      ["PUT", "/admin/queues/api/queues/order-created/empty"],
      ["PUT", "/admin/queues/api/queues/order-created/obliterate"],
      ["PUT", "/admin/queues/api/queues/order-created/clean/failed"],
      ["PUT", `/admin/queues/api/queues/order-created/${job.id}/clean`],
      ["POST", "/admin/queues/api/queues/order-created/add"],
      ["PATCH", `/admin/queues/api/queues/order-created/${job.id}/update-data`],
      ["PUT", "/admin/queues/api/queues/maintenance/job-schedulers/order-timeout-sweep/remove"],
    ] as const;
    for (const [method, path] of refused) {
      const res = await h.call(method, path, { token: h.tokens.admin, body: {} });
      expect(res.status, path).toBe(403);
      expect(JSON.stringify(res.body), path).toContain("ADMIN_QUEUE_DESTRUCTIVE_ACTIONS");
    }
    expect(await queue.getJobState(job.id!)).toBe("failed");
    expect(await queue.getJobCountByTypes("failed")).toBe(1);

    // Inspecting, pausing and promoting are fine, and so is the retry operators need.
    expect((await h.call("GET", `/admin/queues/api/queues/order-created/${job.id}`, { token: h.tokens.admin })).status).toBe(200);
    expect((await h.call("PUT", "/admin/queues/api/queues/order-created/pause", { token: h.tokens.admin })).status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    expect((await h.call("PUT", "/admin/queues/api/queues/order-created/resume", { token: h.tokens.admin })).status).toBe(200);
    expect((await h.call("PUT", "/admin/queues/api/queues/order-created/promote", { token: h.tokens.admin })).status).toBe(200);
    const retried = await h.call("PUT", `/admin/queues/api/queues/order-created/${job.id}/retry`, { token: h.tokens.admin });
    expect(retried.status).toBeLessThan(300);
    expect(await queue.getJobState(job.id!)).toBe("waiting");
  });
});

describe("queue dashboard with ADMIN_QUEUE_DESTRUCTIVE_ACTIONS=true", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true, queueBoardDestructiveActions: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("empties a queue when asked", async () => {
    const queue = h.queues!["order-created"];
    // No worker runs here: the job stays waiting.
    await queue.add("OrderCreated", { type: "OrderCreated", malformed: true });
    expect(await queue.getJobCountByTypes("waiting")).toBe(1);
    const res = await h.call("PUT", "/admin/queues/api/queues/order-created/empty", { token: h.tokens.admin });
    expect(res.status).toBe(200);
    expect(await queue.getJobCountByTypes("waiting")).toBe(0);
  });
});

describe("a failed job on the dashboard", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("names its order's number and id, shows one stack without this machine's paths, and has a log", async () => {
    const worker = await h.startWorker();
    const productId = await h.product({ onHand: 5 });
    const placed = await h.placeOrder([{ productId, quantity: 1 }]);
    expect(placed.status).toBe(201);
    const order = placed.body as { id: string; orderNumber: string };
    // A job about this order whose payload is broken: it fails at once, for good.
    const queue = h.queues!["order-created"];
    const job = await queue.add("OrderCreated", { type: "OrderCreated", orderId: order.id, broken: true }, { attempts: 1 });
    const deadline = Date.now() + 15_000;
    while ((await job.getState()) !== "failed") {
      if (Date.now() > deadline) throw new Error("the job did not fail in time");
      await new Promise((r) => setTimeout(r, 50));
    }

    const listed = await h.call("GET", "/admin/queues/api/queues?activeQueue=order-created&status=failed&page=1&jobsPerPage=10", {
      token: h.tokens.admin,
    });
    const board = listed.body.queues.find((q: { name: string }) => q.name === "order-created");
    const shown = board.jobs.find((j: { id: string }) => j.id === job.id);
    expect(shown.failedReason).toContain(order.orderNumber);
    expect(shown.failedReason).toContain(order.id);
    expect(shown.stacktrace).toHaveLength(1);
    expect(shown.stacktrace[0]).not.toContain(process.cwd());
    expect(shown.stacktrace[0]).not.toContain("file://");
    const logs = await h.call("GET", `/admin/queues/api/queues/order-created/${job.id}/logs`, { token: h.tokens.admin });
    expect(logs.status).toBe(200);
    expect(logs.body.some((line: string) => line.startsWith("failed: ") && line.includes(order.orderNumber))).toBe(true);

    // The order's own jobs carry its number in their names, as the job header shows.
    const completedNames = async () => {
      const completed = await h.call("GET", "/admin/queues/api/queues?activeQueue=order-created&status=completed&page=1&jobsPerPage=10", {
        token: h.tokens.admin,
      });
      return completed.body.queues.find((q: { name: string }) => q.name === "order-created").jobs.map((j: { name: string }) => j.name) as string[];
    };
    let names = await completedNames();
    while (!names.includes(`OrderCreated ${order.orderNumber}`) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      names = await completedNames();
    }
    expect(names).toContain(`OrderCreated ${order.orderNumber}`);
    await worker.close();
  });
});

describe("ADMIN_QUEUE_DESTRUCTIVE_ACTIONS", () => {
  it("is off unless set to a true value, and a typo stops the start", () => {
    expect(loadEnv({}).ADMIN_QUEUE_DESTRUCTIVE_ACTIONS).toBe(false);
    expect(loadEnv({ ADMIN_QUEUE_DESTRUCTIVE_ACTIONS: "false" }).ADMIN_QUEUE_DESTRUCTIVE_ACTIONS).toBe(false);
    expect(loadEnv({ ADMIN_QUEUE_DESTRUCTIVE_ACTIONS: "true" }).ADMIN_QUEUE_DESTRUCTIVE_ACTIONS).toBe(true);
    expect(() => loadEnv({ ADMIN_QUEUE_DESTRUCTIVE_ACTIONS: "ture" })).toThrow(/ADMIN_QUEUE_DESTRUCTIVE_ACTIONS/);
  });
});
