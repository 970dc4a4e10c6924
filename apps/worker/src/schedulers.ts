import { idempotencyRepository, orderRepository } from "@order-flow/db";
import { JOB_RETENTION, type Queues } from "@order-flow/queues";
import type { Job } from "bullmq";
import { orderTimeoutEventId } from "./deterministic-id.ts";
import { settleOrderTimeout } from "./order-timeout.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** Fixed scheduler ids: upserting them again (restart, more workers) never adds a second schedule. */
export const SCHEDULER_IDS = {
  orderTimeoutSweep: "order-timeout-sweep",
  reservationSweep: "reservation-sweep",
  outboxPurge: "outbox-purge",
  idempotencyKeyPurge: "idempotency-key-purge",
} as const;

export type SchedulerSettings = {
  orderTimeoutSweepEveryMs: number;
  reservationSweepEveryMs: number;
  outboxPurgeEveryMs: number;
  /** sent outbox rows older than this are deleted */
  outboxRetentionMs: number;
  /** expired idempotency keys (past their 24 h) are deleted this often */
  idempotencyPurgeEveryMs: number;
  sweepBatchSize: number;
};

export async function upsertSchedulers(queues: Queues, s: SchedulerSettings): Promise<void> {
  const q = queues.maintenance;
  // Sweeps are repeated anyway: one attempt each, and short retention.
  const opts = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: JOB_RETENTION.removeOnFail };
  await q.upsertJobScheduler(SCHEDULER_IDS.orderTimeoutSweep, { every: s.orderTimeoutSweepEveryMs }, { name: SCHEDULER_IDS.orderTimeoutSweep, opts });
  await q.upsertJobScheduler(SCHEDULER_IDS.reservationSweep, { every: s.reservationSweepEveryMs }, { name: SCHEDULER_IDS.reservationSweep, opts });
  await q.upsertJobScheduler(SCHEDULER_IDS.outboxPurge, { every: s.outboxPurgeEveryMs }, { name: SCHEDULER_IDS.outboxPurge, opts });
  await q.upsertJobScheduler(
    SCHEDULER_IDS.idempotencyKeyPurge,
    { every: s.idempotencyPurgeEveryMs },
    { name: SCHEDULER_IDS.idempotencyKeyPurge, opts },
  );
}

/** The safety net behind the delayed jobs: the same timeout logic, inline, for every expired order. */
export async function sweepOrderTimeouts(deps: WorkerDeps, batchSize: number): Promise<number> {
  const now = deps.clock();
  let settled = 0;
  for (let round = 0; round < 20; round++) {
    const expired = await orderRepository.findExpiredOrders(deps.db, now, batchSize);
    for (const order of expired) {
      const outcome = await settleOrderTimeout(deps, order.id, orderTimeoutEventId(order.id, order.expiresAt), now);
      if (outcome.kind === "TIMED_OUT") settled++;
    }
    if (expired.length < batchSize) break;
  }
  return settled;
}

export function maintenanceProcessor(deps: WorkerDeps, s: SchedulerSettings) {
  return async (job: Job): Promise<unknown> => {
    switch (job.name) {
      case SCHEDULER_IDS.orderTimeoutSweep: {
        const timedOut = await sweepOrderTimeouts(deps, s.sweepBatchSize);
        if (timedOut > 0) deps.log.info({ timedOut }, "order-timeout sweep timed out orders the delayed jobs missed");
        return { timedOut };
      }
      case SCHEDULER_IDS.reservationSweep: {
        const { released } = await deps.stock.sweepExpired(deps.clock(), s.sweepBatchSize);
        if (released.length > 0) deps.metrics.inc("stock_reservations_swept_total", {}, released.length);
        if (released.length > 0) deps.log.info({ released: released.length }, "reservation sweep released holds");
        return { released: released.length };
      }
      case SCHEDULER_IDS.outboxPurge: {
        const purged = await deps.outbox.purgeSent(new Date(deps.clock().getTime() - s.outboxRetentionMs));
        return { purged };
      }
      case SCHEDULER_IDS.idempotencyKeyPurge: {
        const purged = await idempotencyRepository.purgeExpired(deps.db, deps.clock());
        if (purged > 0) deps.log.info({ purged }, "expired idempotency keys purged");
        return { purged };
      }
      default:
        deps.log.warn({ name: job.name }, "unknown maintenance job ignored");
        return null;
    }
  };
}
