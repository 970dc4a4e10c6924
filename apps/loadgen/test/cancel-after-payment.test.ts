// The cancel-after-payment flow against real API (and worker) processes: it owes a refund id
// only when its cancel found the order paid. A PAID answered 200 after expiresAt was refunded
// as a late payment and left the order unpaid (API.md), so that cancel owes none.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api-client.ts";
import { ScratchCluster } from "../src/cluster.ts";
import { runLoad } from "../src/run-load.ts";
import { waitUntilSettled } from "../src/settle.ts";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const JWT_SECRET = "loadgen-cancel-test-secret";

let cluster: ScratchCluster | null = null;
let logDir = "";
afterEach(async () => {
  await cluster?.teardown();
  cluster = null;
  rmSync(logDir, { recursive: true, force: true });
});

async function cancelFlows(options: { paymentTimeoutSeconds: string; workers: number }) {
  logDir = join(tmpdir(), `loadgen-cancel-test-${process.pid}-${Date.now()}`);
  cluster = new ScratchCluster({
    databaseUrl: DATABASE_URL,
    redisUrl: REDIS_URL,
    jwtSecret: JWT_SECRET,
    baseEnv: process.env,
    env: { ORDER_PAYMENT_TIMEOUT_SECONDS: options.paymentTimeoutSeconds, RATE_LIMIT_PER_MINUTE: "0" },
    logDir,
  });
  await cluster.createDatabase();
  await cluster.start("api");
  for (let i = 0; i < options.workers; i++) await cluster.start("worker");
  const load = await runLoad(
    {
      apis: cluster.apiUrls(),
      rate: 10,
      orders: 12,
      mix: { pay: 0, decline: 0, abandon: 0, cancel: 1, store: 0, refund: 0 },
      maxInFlight: 12,
      stores: 1,
      products: 2,
      stock: 1_000,
      customers: 4,
      check: false,
      settleTimeoutMs: 0,
      databaseUrl: cluster.databaseUrl,
      jwtSecret: JWT_SECRET,
      // Fixed, so both variants (before and after payment) are drawn.
      seed: 7,
      plain: true,
    },
    { progress: null, log: () => {} },
  );
  const orders = [...load.stats.orders.values()];
  const settle = await waitUntilSettled(new ApiClient(cluster.apiUrls()), orders, { timeoutMs: 30_000 });
  return { orders, settle };
}

describe("cancel after payment", () => {
  it(
    "owes no refund id when the PAID came after expiresAt and the order was cancelled unpaid",
    async () => {
      // A 1 ms deadline makes every PAID late; with no worker nothing times the orders out,
      // so each cancel finds its order still PAYMENT_PENDING.
      const { orders, settle } = await cancelFlows({ paymentTimeoutSeconds: "0.001", workers: 0 });
      expect(settle.unsettled).toEqual([]);
      const late = orders.filter((o) => o.variant === "after-late-payment");
      expect(late.length).toBeGreaterThan(0);
      expect(orders.filter((o) => o.variant.startsWith("after-payment"))).toEqual([]);
      for (const o of late) {
        expect(o.status).toBe("ORDER_CANCELLED");
        expect(o.needsRefundId).toBe(false);
      }
    },
    120_000,
  );

  it(
    "waits for the refund id when the cancel found the order paid",
    async () => {
      const { orders, settle } = await cancelFlows({ paymentTimeoutSeconds: "600", workers: 1 });
      expect(settle.unsettled).toEqual([]);
      const paid = orders.filter((o) => o.variant === "after-payment");
      expect(paid.length).toBeGreaterThan(0);
      expect(orders.filter((o) => o.variant === "after-late-payment")).toEqual([]);
      for (const o of paid) {
        expect(o.needsRefundId).toBe(true);
        expect(o.refundId).toMatch(/^rf_/);
      }
    },
    120_000,
  );
});
