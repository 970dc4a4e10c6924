import { makeOrderTimeoutEvent } from "@order-flow/domain";
import { jobName, orderTimeoutJobId } from "@order-flow/queues";
import { orderTimeoutEventId } from "./deterministic-id.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** Adds the delayed job that fires the order's payment timeout at its deadline (deduped by jobId). */
export async function scheduleOrderTimeout(
  deps: WorkerDeps,
  orderId: string,
  expiresAt: Date,
  orderNumber?: string,
): Promise<void> {
  const now = deps.clock();
  const event = makeOrderTimeoutEvent({ eventId: orderTimeoutEventId(orderId, expiresAt), orderId, expiresAt, now });
  await deps.queues["order-timeout"].add(jobName("OrderTimeout", orderNumber), event, {
    jobId: orderTimeoutJobId(orderId),
    delay: Math.max(0, expiresAt.getTime() - now.getTime()),
  });
}

/** Best effort: the timeout job is a no-op for a paid order anyway, this only saves the wake-up. */
export async function removeOrderTimeout(deps: WorkerDeps, orderId: string): Promise<void> {
  try {
    await deps.queues["order-timeout"].remove(orderTimeoutJobId(orderId));
  } catch (error) {
    deps.log.debug({ err: error, orderId }, "could not remove the timeout job");
  }
}
