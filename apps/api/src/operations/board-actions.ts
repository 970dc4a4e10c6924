import type { BoardHooks } from "@bull-board/api/typings/app";

/**
 * The board's write routes an operator may use without ADMIN_QUEUE_DESTRUCTIVE_ACTIONS:
 * retrying failed jobs (one or all), promoting delayed jobs (a payment timeout run early waits
 * for its deadline again) and pausing / resuming queues. None of them loses or forges work.
 * Everything else that writes (empty, obliterate, clean, remove a job or a scheduler, add or
 * edit jobs, concurrency and rate limits) can drop or forge order work, so it is refused
 * unless the setting allows it.
 */
const SAFE_WRITES = new Set([
  "put /api/queues/:queueName/:jobId/retry",
  "put /api/queues/:queueName/retry/:queueStatus",
  "put /api/queues/:queueName/:jobId/promote",
  "put /api/queues/:queueName/promote",
  "put /api/queues/pause",
  "put /api/queues/resume",
  "put /api/queues/:queueName/pause",
  "put /api/queues/:queueName/resume",
]);

export function isSafeBoardAction(method: string, route: string): boolean {
  return method.toLowerCase() === "get" || SAFE_WRITES.has(`${method.toLowerCase()} ${route}`);
}

/** Bull Board's own `before` hook: a refused action answers 403 in the board's error format, so its UI shows why. */
export function boardActionGuard(options: { allowDestructive: boolean }): BoardHooks {
  return {
    before: ({ method, route }) =>
      options.allowDestructive || isSafeBoardAction(method, route)
        ? { allow: true }
        : {
            allow: false,
            status: 403,
            message: "This board only inspects, retries, promotes and pauses; set ADMIN_QUEUE_DESTRUCTIVE_ACTIONS=true to allow it",
          },
  };
}
