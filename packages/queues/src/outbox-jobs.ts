import { jobName } from "./job-name.ts";
import { jobPayloadSchema, queueForJob, type JobPayload } from "./job-payloads.ts";
import type { JobQueueName } from "./queue-names.ts";
import type { Queues } from "./create-queues.ts";

/** An outbox row as it goes to a queue: its payload (JSON form), when it is due, its order's number, its writer's trace. */
export type OutboxEntry = { id: string; payload: unknown; availableAt: Date; orderNumber?: string | null; traceContext?: string | null };

export type OutboxJob = {
  name: string;
  data: JobPayload;
  /** telemetry.metadata: the writer's trace context, so the job's span continues the writer's trace */
  opts: { jobId: string; delay?: number; telemetry?: { metadata: string } };
};

/**
 * Groups entries into one addBulk per queue, jobId = eventId (a second add of one event
 * collapses). An entry that is no valid job payload goes to `onInvalid` and is skipped, so
 * a poison row never blocks the ones behind it.
 */
export function outboxJobsByQueue(
  entries: readonly OutboxEntry[],
  now: number,
  onInvalid: (entry: OutboxEntry, issues: unknown) => void,
): Map<JobQueueName, OutboxJob[]> {
  const byQueue = new Map<JobQueueName, OutboxJob[]>();
  for (const entry of entries) {
    const parsed = jobPayloadSchema.safeParse(entry.payload);
    if (!parsed.success) {
      onInvalid(entry, parsed.error.issues);
      continue;
    }
    addJob(byQueue, entry, parsed.data, now);
  }
  return byQueue;
}

/**
 * The same grouping for events this process has just committed: they are the domain's own,
 * so they are not parsed again here (the zod parse was the dispatcher's largest cost); the
 * worker parses every job before handling it, and the relay parses what it reads back.
 */
export function committedJobsByQueue(entries: readonly (OutboxEntry & { payload: JobPayload })[], now: number): Map<JobQueueName, OutboxJob[]> {
  const byQueue = new Map<JobQueueName, OutboxJob[]>();
  for (const entry of entries) addJob(byQueue, entry, entry.payload, now);
  return byQueue;
}

function addJob(byQueue: Map<JobQueueName, OutboxJob[]>, entry: OutboxEntry, payload: JobPayload, now: number): void {
  const queue = queueForJob(payload.type);
  const delay = Math.max(0, entry.availableAt.getTime() - now);
  const jobs = byQueue.get(queue) ?? [];
  const opts = {
    jobId: payload.eventId,
    ...(delay > 0 ? { delay } : {}),
    ...(entry.traceContext ? { telemetry: { metadata: entry.traceContext } } : {}),
  };
  jobs.push({ name: jobName(payload.type, entry.orderNumber), data: payload, opts });
  byQueue.set(queue, jobs);
}

/** One addBulk per queue, failing as a whole after `timeoutMs` (the rows then stay unsent). */
export async function addOutboxJobs(queues: Queues, byQueue: Map<JobQueueName, OutboxJob[]>, timeoutMs: number): Promise<void> {
  const adds = Promise.all([...byQueue].map(([queue, jobs]) => queues[queue].addBulk(jobs)));
  // After a timeout the adds may still fail: that must not become an unhandled rejection.
  adds.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("enqueue timed out")), timeoutMs);
  });
  try {
    await Promise.race([adds, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
