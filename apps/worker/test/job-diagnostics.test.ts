import { fileURLToPath } from "node:url";
import { sandboxLedgerRepository } from "@order-flow/db";
import { Order, type OrderState } from "@order-flow/domain";
import { SandboxPaymentGateway, type PaymentGateway } from "@order-flow/payments";
import { orderTimeoutJobId, type JobQueueName } from "@order-flow/queues";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobJournal } from "../src/job-journal.ts";
import type { WorkerRuntime } from "../src/runtime.ts";
import { act, createHarness, ctx, customerOf, eventually, pay, placeOrder, statusOf, storeOf, type Harness } from "./support/harness.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Refunds always refused: the order-refunded job fails every attempt. */
const refusingGateway = (): PaymentGateway => {
  const gateway = new SandboxPaymentGateway({ ledger: sandboxLedgerRepository(h.db.database), refundFailureRate: 1 });
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

    // A clean completion writes no log entry: the job's state tells it (and no Redis call per job).
    const confirmed = await jobOf("payment-completed", order, ["completed"]);
    expect((await runtime.queues["payment-completed"].getJobLogs(confirmed.id!)).logs).toEqual([]);
  });

  it("journals a finished attempt as one entry when its handler warned", async () => {
    // A job no worker takes (due in an hour), to write journals to.
    const queue = runtime.queues.maintenance;
    const job = await queue.add("journal-probe", {}, { delay: 3_600_000 });
    const quiet = new JobJournal("PaymentCompleted for order ORD-1 (id-1), attempt 1/3");
    quiet.logger(runtime.deps.log).debug({}, "order ORD-1 moved PAYMENT_COMPLETED → ORDER_CONFIRMED");
    await quiet.write(job, "done in 3 ms", runtime.deps.log, { finished: true });
    expect((await queue.getJobLogs(job.id!)).logs).toEqual([]);

    const warned = new JobJournal("PaymentCompleted for order ORD-1 (id-1), attempt 1/3");
    const log = warned.logger(runtime.deps.log);
    log.debug({}, "order ORD-1 moved PAYMENT_COMPLETED → ORDER_CONFIRMED");
    log.warn({}, "store notification slow");
    await warned.write(job, "done in 4 ms", runtime.deps.log, { finished: true });
    expect((await queue.getJobLogs(job.id!)).logs).toEqual([
      "PaymentCompleted for order ORD-1 (id-1), attempt 1/3: order ORD-1 moved PAYMENT_COMPLETED → ORDER_CONFIRMED; warn: store notification slow; done in 4 ms",
    ]);
    await job.remove();
  });

  it("gives a failed job a reason naming the order, one stack with relative paths, and a log of every attempt", async () => {
    const { order } = await placeOrder(h);
    await pay(h, order.id);
    await eventually(() => statusOf(h, order.id), (s) => s === "PREPARING");
    for (const step of [Order.markReadyForDelivery, Order.startDelivery, Order.markDelivered] as const) {
      await act(h.db.database, order.id, (o) => step(o, ctx(storeOf(o))));
    }
    await act(h.db.database, order.id, (o) => Order.requestRefund(o, ctx(customerOf(o))));

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
