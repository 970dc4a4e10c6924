import { fileURLToPath } from "node:url";
import { auditRepository } from "@order-flow/db";
import type { Job } from "bullmq";
import { deterministicUuid } from "./deterministic-id.ts";
import type { WorkerDeps } from "./worker-deps.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The repository's root (this file is apps/worker/src/job-failures.ts): stacks name files relative to it. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The order a failure is about, as an operator searches for it. */
export type FailedOrder = { id: string; number: string | null };

/** Control-flow errors BullMQ expects as thrown (a job put back, rate limited...): left untouched. */
const CONTROL_ERRORS = new Set(["DelayedError", "WaitingChildrenError", "WaitingError", "RateLimitError"]);

export function isControlError(error: unknown): boolean {
  return error instanceof Error && CONTROL_ERRORS.has(error.name);
}

/** A stack's file paths relative to the repository (no machine's directory layout on the dashboard). */
export function relativeStack(stack: string, root = ROOT): string {
  return stack.replaceAll("file://", "").replaceAll(root, "");
}

/**
 * Puts the order's number and id in front of the error's message (BullMQ's failedReason, the log
 * line, the JOB_FAILED audit) and rewrites its stack to match, with relative paths. The same
 * error object is kept, so its class (UnrecoverableError...) still decides the retries.
 */
export function nameOrderInError(error: Error, order: FailedOrder): Error {
  const prefix = `order ${order.number ?? "(number unknown)"} (${order.id}): `;
  if (!error.message.startsWith(prefix)) {
    const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
    error.message = prefix + error.message;
    error.stack = [`${error.name}: ${error.message}`, ...frames].join("\n");
  }
  if (error.stack) error.stack = relativeStack(error.stack);
  return error;
}

/** Whether this failure leaves the job in the failed set for good (the dead letter). */
export function isFinalFailure(job: Job, error: Error): boolean {
  return error.name === "UnrecoverableError" || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * A job that failed for good is never silent: a log line, a counter, and (for jobs about an
 * order) a JOB_FAILED entry written in a transaction of its own, once per queue + jobId.
 */
export async function recordFinalFailure(deps: WorkerDeps, queue: string, job: Job, error: Error): Promise<void> {
  deps.metrics.inc("jobs_dead_lettered_total", { queue });
  const data = (job.data ?? {}) as { orderId?: unknown; type?: unknown; eventId?: unknown };
  deps.log.error(
    { queue, jobId: job.id, name: job.name, attempts: job.attemptsMade, orderId: data.orderId, err: error },
    "job failed after its last attempt; it stays in the failed set (pnpm jobs:redrive)",
  );
  if (typeof data.orderId !== "string" || !UUID.test(data.orderId)) return;
  const now = deps.clock();
  await auditRepository.appendIndependent(deps.db, [
    {
      eventId: deterministicUuid(`job-failed:${queue}:${job.id ?? ""}`),
      orderId: data.orderId,
      eventType: "JOB_FAILED",
      changeSummary: `The ${String(data.type ?? job.name)} step failed after ${job.attemptsMade} attempt(s): ${error.message}`,
      actorUserId: null,
      recordedAt: now,
      metadata: {
        actorRole: "system",
        queue,
        jobId: job.id ?? null,
        eventId: typeof data.eventId === "string" ? data.eventId : null,
        attempts: job.attemptsMade,
        error: error.message,
      },
    },
  ]);
}
