import type { Logger } from "@order-flow/config";
import type { Outbox } from "@order-flow/domain";
import { bullPrefix } from "@order-flow/queues";
import type { Cluster, Redis } from "ioredis";

/** Jobs live at most this long between relay and completion (8 attempts back off ~2 min in all). */
export const LOST_JOBS_WINDOW_MS = 15 * 60_000;

/**
 * A process that put events into the old Redis just before it lost its data marks their rows
 * sent afterwards: its dispatcher gathers sent marks for 250 ms behind an enqueue of up to 5 s.
 * A mark that lands after the re-send hides those events again, so they are re-sent once more
 * when every such mark has landed.
 */
export const MARKS_IN_FLIGHT_MS = 10_000;

export type LostJobsGuard = { check(): Promise<boolean>; stop(): void };

/**
 * Redis can lose its data (FLUSHALL, a restart without persistence) and with it every job
 * already relayed from the outbox but not yet done: their rows are marked sent, so nothing
 * would deliver them again. A marker key tells: when it is missing, the one process that sets
 * it again re-sends the events relayed in the last window and re-creates the schedulers.
 * The timeout sweep re-creates lost payment timeouts, the stock service rebuilds stock.
 */
export function lostJobsGuard(options: {
  redis: Redis | Cluster;
  outbox: Outbox;
  redisPrefix: string;
  log: Logger;
  onLost: () => Promise<void>;
  everyMs?: number;
  windowMs?: number;
  /** the relay, to publish the re-sent rows at once */
  wake?: () => void;
  marksInFlightMs?: number;
}): LostJobsGuard {
  const key = `${bullPrefix(options.redisPrefix)}:jobs-epoch`;
  let running: Promise<boolean> | null = null;
  let resendLater: NodeJS.Timeout | null = null;

  async function resend(since: Date, what: string): Promise<void> {
    const requeued = await options.outbox.requeueSentSince(since);
    if (requeued > 0) options.log.warn({ requeued }, what);
    options.wake?.();
  }

  async function check(): Promise<boolean> {
    const set = await options.redis.set(key, String(Date.now()), "NX");
    if (set !== "OK") return false;
    const since = new Date(Date.now() - (options.windowMs ?? LOST_JOBS_WINDOW_MS));
    const requeued = await options.outbox.requeueSentSince(since);
    await options.onLost();
    if (requeued > 0) {
      options.log.warn({ requeued }, "Redis had lost its jobs: re-sending the events relayed in the last window");
    }
    options.wake?.();
    if (resendLater) clearTimeout(resendLater);
    resendLater = setTimeout(() => {
      resendLater = null;
      resend(since, "Redis had lost its jobs: re-sending the events marked sent since, by marks that were in flight").catch((error: unknown) =>
        options.log.warn({ err: error }, "second re-send after the loss of Redis's jobs failed"),
      );
    }, options.marksInFlightMs ?? MARKS_IN_FLIGHT_MS);
    resendLater.unref();
    return true;
  }

  const guarded = () => {
    running ??= check()
      .catch((error: unknown) => {
        options.log.warn({ err: error }, "lost-jobs check failed; trying again later");
        return false;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(() => void guarded(), options.everyMs ?? 5_000);
  timer.unref();
  return {
    check: guarded,
    stop: () => {
      clearInterval(timer);
      if (resendLater) clearTimeout(resendLater);
    },
  };
}
