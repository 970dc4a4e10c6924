export { startWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOptions } from "./runtime.ts";
export { WorkerMetrics } from "./metrics.ts";
export { LoggingStoreNotifier, type StoreNotifier, type StoreNotification } from "./store-notifier.ts";
export { redriveFailedJobs } from "./redrive-failed-jobs.ts";
export { SCHEDULER_IDS } from "./schedulers.ts";
export { HANDLERS } from "./handlers/index.ts";
export type { Handler, HandlerContext, HandlerMap, JobInfo } from "./handler.ts";
export type { WorkerDeps } from "./worker-deps.ts";
export type { StockPort } from "./stock-port.ts";
