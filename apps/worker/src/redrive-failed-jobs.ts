import { ALL_QUEUE_NAMES, type QueueName, type Queues } from "@order-flow/queues";

/** Sends failed jobs (dead letters) back to waiting; handlers are idempotent, so this is safe. */
export async function redriveFailedJobs(queues: Queues, only?: QueueName): Promise<Record<string, number>> {
  const names = only ? [only] : ALL_QUEUE_NAMES;
  const moved: Record<string, number> = {};
  for (const name of names) {
    const queue = queues[name];
    const failed = await queue.getFailedCount();
    if (failed > 0) await queue.retryJobs({ state: "failed", count: 1_000 });
    moved[name] = failed;
  }
  return moved;
}
