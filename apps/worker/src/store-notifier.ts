import type { Logger } from "@order-flow/config";
import type { WorkerMetrics } from "./metrics.ts";

export type StoreNotification = { orderId: string; orderNumber: string; storeId: string; totalAmount: number };

/** Tells a store that it has an order to prepare. At least once: a crash may repeat it. */
export interface StoreNotifier {
  notify(notification: StoreNotification): Promise<void>;
}

/** The default: a log line and a counter (a per-store webhook would be another adapter). */
export class LoggingStoreNotifier implements StoreNotifier {
  readonly #log: Logger;
  readonly #metrics: WorkerMetrics;

  constructor(log: Logger, metrics: WorkerMetrics) {
    this.#log = log;
    this.#metrics = metrics;
  }

  async notify(n: StoreNotification): Promise<void> {
    this.#log.info({ orderId: n.orderId, storeId: n.storeId, orderNumber: n.orderNumber }, "store notified of a new order");
    this.#metrics.inc("store_notifications_total");
  }
}
