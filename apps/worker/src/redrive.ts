import { createLogger, loadEnv } from "@order-flow/config";
import { ALL_QUEUE_NAMES, closeQueues, createQueues, createWorkerConnection, type QueueName } from "@order-flow/queues";
import { redriveFailedJobs } from "./redrive-failed-jobs.ts";

// pnpm jobs:redrive [queue]: sends failed jobs (all queues, or one) back to waiting.
const env = loadEnv();
const log = createLogger({ name: "redrive", level: env.LOG_LEVEL });
const only = process.argv[2];
if (only !== undefined && !(ALL_QUEUE_NAMES as readonly string[]).includes(only)) {
  log.error({ queue: only, known: ALL_QUEUE_NAMES }, "unknown queue");
  process.exit(2);
}
const connection = createWorkerConnection({ url: env.REDIS_URL, clusterNodes: env.REDIS_CLUSTER_NODES, name: "redrive" });
const queues = createQueues({ connection, redisPrefix: env.REDIS_PREFIX });
try {
  const moved = await redriveFailedJobs(queues, only as QueueName | undefined);
  log.info({ moved }, "failed jobs sent back to their queues");
} finally {
  await closeQueues(queues);
  await connection.quit();
}
