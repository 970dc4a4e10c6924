import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@order-flow/db/testing";
import { deleteKeys } from "./support/harness.ts";
import { API_ENTRY, START_WAIT_MS, WORKER_ENTRY, freePort, spawnEntry, waitUntilAnswering, type Spawned } from "./support/processes.ts";

// Two API processes and a worker, spawned from their entry points in production mode as the
// compose stack runs them, on a database and Redis prefix of their own.

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const METRICS_TOKEN = "metrics-token-0123456789abcdef";
const AUTH_FAILURE_LIMIT = 4;
const prefix = `test-${randomUUID()}`;

let db: TestDatabase;
let redis: Redis;
const procs: Spawned[] = [];
let apiPorts: number[] = [];
let workerPort = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = new Redis(REDIS_URL);
  const env = {
    NODE_ENV: "production",
    JWT_SECRET: "j".repeat(48),
    PAYMENT_WEBHOOK_SECRET: "w".repeat(48),
    ALLOW_SANDBOX_GATEWAY: "true",
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: "warn",
    METRICS_TOKEN,
    AUTH_FAILURE_LIMIT: String(AUTH_FAILURE_LIMIT),
    HTTP_HEADERS_TIMEOUT_SECONDS: "1",
    HTTP_REQUEST_TIMEOUT_SECONDS: "1",
  };
  apiPorts = [await freePort(), await freePort()];
  workerPort = await freePort();
  for (const port of apiPorts) procs.push(spawnEntry(API_ENTRY, { ...env, PORT: String(port), WORKER_METRICS_PORT: "0" }));
  procs.push(spawnEntry(WORKER_ENTRY, { ...env, PORT: "0", WORKER_METRICS_PORT: String(workerPort) }));
  await Promise.all([
    ...apiPorts.map((port, i) => waitUntilAnswering(procs[i]!, `http://127.0.0.1:${port}/readyz`)),
    waitUntilAnswering(procs[2]!, `http://127.0.0.1:${workerPort}/healthz`),
  ]);
}, 2 * START_WAIT_MS);

afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.stop()));
  if (redis) {
    await deleteKeys(redis, `${prefix}*`);
    await deleteKeys(redis, `*${prefix}*`);
    redis.disconnect();
  }
  await db?.drop();
}, 60_000);

const api = (i = 0) => `http://127.0.0.1:${apiPorts[i]}`;

/** Sends raw bytes and collects the answer until the server closes the socket. */
function rawExchange(port: number, start: string, trickle?: { byte: string; everyMs: number; count: number }) {
  return new Promise<{ response: string; closedBeforeDone: boolean }>((resolve, reject) => {
    let response = "";
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(start);
      if (trickle) {
        timer = setInterval(() => {
          if (sent >= trickle.count) return clearInterval(timer);
          sent++;
          if (!socket.destroyed) socket.write(trickle.byte);
        }, trickle.everyMs);
      }
    });
    socket.on("data", (d) => (response += d.toString()));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "ECONNRESET" && err.code !== "EPIPE") reject(err);
    });
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ response, closedBeforeDone: trickle ? sent < trickle.count : true });
    });
  });
}

describe("production processes", () => {
  it("answer with security headers, on success and on problems", async () => {
    for (const path of ["/healthz", "/orders", "/nowhere"]) {
      const res = await fetch(`${api()}${path}`);
      expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    }
  });

  it("cut off a body trickled in past the request timeout with 408, long before it is done", async () => {
    // 200 bytes at one per 100 ms would take 20 s; the server gives the request 1 s.
    const start = "POST /webhooks/payments HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{";
    const { response, closedBeforeDone } = await rawExchange(apiPorts[0]!, start, { byte: " ", everyMs: 100, count: 199 });
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedBeforeDone).toBe(true);
  });

  it("cut off headers trickled in past the headers timeout with 408", async () => {
    const { response, closedBeforeDone } = await rawExchange(apiPorts[0]!, "GET /healthz HTTP/1.1\r\nHost: api\r\n", {
      byte: "X-Slow: 1\r\n",
      everyMs: 100,
      count: 200,
    });
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedBeforeDone).toBe(true);
  });

  it("answer a NUL character in a header (an Idempotency-Key) with 400 VALIDATION_FAILED", async () => {
    const { response } = await rawExchange(
      apiPorts[0]!,
      "POST /orders HTTP/1.1\r\nHost: api\r\nIdempotency-Key: key\u0000x\r\nContent-Length: 2\r\n\r\n{}",
    );
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4))).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
  });

  it("want METRICS_TOKEN on /metrics of the API and the worker", async () => {
    for (const base of [api(0), `http://127.0.0.1:${workerPort}`]) {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { Authorization: "Bearer wrong" } })).status).toBe(401);
      const ok = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("# TYPE");
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }
  });

  it("limit failed authentications per address across API processes: 429 with Retry-After", async () => {
    // Earlier cases failed authentication from this address too: start from a clean count.
    await deleteKeys(redis, `${prefix}:af:*`);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i <= AUTH_FAILURE_LIMIT; i++) {
      last = await fetch(`${api(i % 2)}/orders`, { headers: { Authorization: `Bearer not.a.token${i}` } });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([...Array(AUTH_FAILURE_LIMIT).fill(401), 429]);
    expect(last!.headers.get("content-type")).toContain("application/problem+json");
    expect(await last!.json()).toMatchObject({ code: "RATE_LIMITED" });
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await fetch(`${api(1)}/orders`)).status).toBe(429);
  });
});
