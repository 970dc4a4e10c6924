import type { JobPayloadOf, JobType } from "@order-flow/queues";
import type { WorkerDeps } from "./worker-deps.ts";

/** What a handler knows about the job it runs in. */
export type JobInfo = {
  queue: string;
  id: string;
  /** 1 for the first try */
  attempt: number;
  attempts: number;
  isLastAttempt: boolean;
  /**
   * The job ran before (a retry, a stalled run picked up again, a delay): what its event says
   * may be out of date, and an earlier run may have done part of the work.
   */
  redelivered: boolean;
  /**
   * Says what the job found when it leaves something undone (a skip): a log line and a line
   * in the job's own log (the dashboard shows it), so no job completes silently.
   */
  note: (message: string, fields?: Record<string, unknown>) => Promise<void>;
  /** Puts the job back, delayed until `timestamp` (ms); never returns. */
  delayUntil: (timestamp: number) => Promise<never>;
};

export type HandlerContext = WorkerDeps & { job: JobInfo };

/** One handler per job type; each is idempotent (BullMQ delivers at least once). */
export type Handler<T extends JobType> = (payload: JobPayloadOf<T>, ctx: HandlerContext) => Promise<void>;

export type HandlerMap = { readonly [T in JobType]: Handler<T> };
