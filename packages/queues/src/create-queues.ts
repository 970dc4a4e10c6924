import { Queue } from "bullmq";
import type { DefaultJobOptions, Telemetry } from "bullmq";
import { defaultJobOptions } from "./job-options.ts";
import { bullPrefix } from "./prefix.ts";
import { ALL_QUEUE_NAMES, type QueueName } from "./queue-names.ts";
import type { RedisConnection } from "./connections.ts";

/**
 * The queue events stream (one XADD per job state change) is read by nothing here but the
 * dashboard's live view: a short one is enough and cheaper to trim than BullMQ's 10 000.
 */
export const EVENTS_MAX_LEN = 500;

export type Queues = { readonly [Q in QueueName]: Queue };

/** One Queue per name, sharing a connection, with the prefix and job options of this module. */
export function createQueues(options: {
  connection: RedisConnection;
  redisPrefix: string;
  jobOptions?: DefaultJobOptions;
  /** BullMQ's tracing interface (bullmq-otel) when tracing is on */
  telemetry?: Telemetry | undefined;
}): Queues {
  const prefix = bullPrefix(options.redisPrefix);
  const defaults = options.jobOptions ?? defaultJobOptions();
  const entries = ALL_QUEUE_NAMES.map(
    (name) => [name, new Queue(name, {
        connection: options.connection,
        prefix,
        defaultJobOptions: defaults,
        streams: { events: { maxLen: EVENTS_MAX_LEN } },
        ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      })] as const,
  );
  return Object.fromEntries(entries) as unknown as Queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.allSettled(Object.values(queues).map((q) => q.close()));
}
