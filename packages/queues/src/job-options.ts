import type { DefaultJobOptions } from "bullmq";

export type JobRetryPolicy = {
  /** tries in total, the first included */
  attempts: number;
  /** first retry delay; doubles every retry */
  backoffMs: number;
};

export const DEFAULT_RETRY_POLICY: JobRetryPolicy = { attempts: 8, backoffMs: 1_000 };

/**
 * Retention: the last 10 000 completed jobs of each queue are kept, so a re-sent jobId still
 * collapses for a while; failed jobs (the dead letters) stay a week (at most 50 000) for
 * inspection and redrive. Both bounded, so Redis memory stays flat. Completed jobs are bounded
 * by count only: an age bound makes every completion scan the completed set by score as well.
 */
export const JOB_RETENTION = {
  removeOnComplete: { count: 10_000 },
  removeOnFail: { age: 7 * 24 * 60 * 60, count: 50_000 },
} as const;

/** A failed job keeps its last stack only (not one per attempt), and a bounded log. */
export const JOB_DIAGNOSTICS = { stackTraceLimit: 1, keepLogs: 100 } as const;

/** The one place job options are stated: attempts, exponential backoff, retention, diagnostics. */
export function defaultJobOptions(policy: Partial<JobRetryPolicy> = {}): DefaultJobOptions {
  const { attempts, backoffMs } = { ...DEFAULT_RETRY_POLICY, ...policy };
  return {
    attempts,
    backoff: { type: "exponential", delay: backoffMs },
    removeOnComplete: { ...JOB_RETENTION.removeOnComplete },
    removeOnFail: { ...JOB_RETENTION.removeOnFail },
    ...JOB_DIAGNOSTICS,
  };
}
