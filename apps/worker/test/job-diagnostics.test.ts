import { fileURLToPath } from "node:url";
import { sandboxLedgerRepository } from "@order-flow/db";
import { Order, type OrderState } from "@order-flow/domain";
import { SandboxPaymentGateway, type PaymentGateway } from "@order-flow/payments";
import { orderTimeoutJobId, type JobQueueName } from "@order-flow/queues";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerRuntime } from "../src/runtime.ts";
import { act, createHarness, ctx, customerOf, eventually, pay, placeOrder, statusOf, storeOf, type Harness } from "./support/harness.ts";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Refunds always refused: the order-refunded job fails every attempt. */
const refusingGateway = (): PaymentGateway => {
  const gateway = new SandboxPaymentGateway({ ledger: sandboxLedgerRepository(h.db.prisma), refundFailureRate: 1 });
  return { requestPayment: (input) => gateway.requestPayment(input), refund: (input) => gateway.refund(input) };
};

let h: Harness;
let runtime: WorkerRuntime;
beforeAll(async () => {
  h = await createHarness();
  runtime = await h.start({ gateway: refusingGateway() });
});
afterAll(async () => {
  await runtime?.close();
  await h?.cleanup();
});

async function jobOf(queue: JobQueueName, order: OrderState, states: ("completed" | "failed" | "delayed")[]): Promise<Job> {
  return eventually(
    async () => (await runtime.queues[queue].getJobs(states)).find((j) => j.data?.orderId === order.id),
    (job) => job !== undefined,
  ) as Promise<Job>;
}

describe("what the dashboard shows of an order's jobs", () => {
  it("names the order's number in every job and journals each attempt in the job's log", async () => {
    const { order } = await placeOrder(h);
    // The payment timeout waits as a delayed job, named too.
    const timeout = await eventually(() => runtime.queues["order-timeout"].getJob(orderTimeoutJobId(order.id)), (j) => j !== undefined);
    expect(timeout!.name).toBe(`OrderTimeout ${order.orderNumber}`);

    await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    for (const [queue, type] of [
      ["order-created", "OrderCreated"],
      ["stock-reserved", "StockReserved"],
      ["payment-requested", "PaymentRequested"],
      ["payment-completed", "PaymentCompleted"],
      ["order-confirmed", "OrderConfirmed"],
    ] as const) {
      const job = await jobOf(queue, order, ["completed"]);
      expect(job.name, queue).toBe(`${type} ${order.orderNumber}`);
    }

    const confirmed = await jobOf("payment-completed", order, ["completed"]);
    const { logs } = await eventually(
      () => runtime.queues["payment-completed"].getJobLogs(confirmed.id!),
      (l) => l.logs.length > 0,
    );
    // A finished attempt is one entry: the order, what the handler did, how long it took.
    expect(logs).toHaveLength(1);
    const heading = `PaymentCompleted for order ${order.orderNumber} (${order.id}), attempt 1/3: `;
    const moved = `order ${order.orderNumber} moved PAYMENT_COMPLETED → ORDER_CONFIRMED`;
    expect(logs[0]).toMatch(new RegExp(`^${escapeRegExp(heading + moved)}; done in \\d+ ms$`));
  });

  it("gives a failed job a reason naming the order, one stack with relative paths, and a log of every attempt", async () => {
    const { order } = await placeOrder(h);
    await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    for (const step of [Order.markReadyForDelivery, Order.startDelivery, Order.markDelivered] as const) {
      await act(h.db.prisma, order.id, (o) => step(o, ctx(storeOf(o))));
    }
    await act(h.db.prisma, order.id, (o) => Order.requestRefund(o, ctx(customerOf(o))));

    const failed = await jobOf("order-refunded", order, ["failed"]);
    expect(failed.attemptsMade).toBe(3);
    expect(failed.name).toBe(`OrderRefunded ${order.orderNumber}`);
    expect(failed.failedReason).toContain(order.orderNumber);
    expect(failed.failedReason).toContain(order.id);
    // One stack, not one per attempt, and no directory of this machine in it.
    expect(failed.stacktrace).toHaveLength(1);
    const stack = failed.stacktrace![0]!;
    expect(stack.split("\n")[0]).toContain(order.orderNumber);
    expect(stack).toMatch(/\n\s+at /);
    expect(stack).not.toContain(ROOT);
    expect(stack).not.toContain("file://");
    expect(stack).toMatch(/apps\/worker\/src\//);

    const { logs } = await runtime.queues["order-refunded"].getJobLogs(failed.id!);
    for (const attempt of [1, 2, 3]) {
      expect(logs).toContain(`OrderRefunded for order ${order.orderNumber} (${order.id}), attempt ${attempt}/3`);
    }
    const failures = logs.filter((line) => line.startsWith("failed: "));
    expect(failures).toHaveLength(3);
    for (const line of failures) expect(line).toContain(`order ${order.orderNumber} (${order.id})`);
    // The handler's own log lines are there too.
    expect(logs.some((line) => line.startsWith("warn: refund failed"))).toBe(true);
  });
});
