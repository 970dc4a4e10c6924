import type { Logger } from "@order-flow/config";
import type { Outbox } from "@order-flow/domain";
import { bullPrefix } from "@order-flow/queues";
import type { Cluster, Redis } from "ioredis";

/** Jobs live at most this long between relay and completion (8 attempts back off ~2 min in all). */
export const LOST_JOBS_WINDOW_MS = 15 * 60_000;

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
}): LostJobsGuard {
  const key = `${bullPrefix(options.redisPrefix)}:jobs-epoch`;
  let running: Promise<boolean> | null = null;

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
  return { check: guarded, stop: () => clearInterval(timer) };
}
