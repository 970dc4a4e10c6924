import type { Logger } from "@order-flow/config";
import type { Database } from "@order-flow/db";
import type { OrderStore, Outbox } from "@order-flow/domain";
import type { PaymentGateway } from "@order-flow/payments";
import type { Queues } from "@order-flow/queues";
import type { WorkerMetrics } from "./metrics.ts";
import type { StockPort } from "./stock-port.ts";
import type { StoreNotifier } from "./store-notifier.ts";

/** Everything handlers and schedulers reach outside themselves through. */
export type WorkerDeps = {
  db: Database;
  /** where orders are kept: every order change goes through it */
  orders: OrderStore;
  /** events waiting to become jobs: the relay, the lost-jobs guard and the purge reach them through it */
  outbox: Outbox;
  stock: StockPort;
  gateway: PaymentGateway;
  storeNotifier: StoreNotifier;
  queues: Queues;
  log: Logger;
  metrics: WorkerMetrics;
  clock: () => Date;
};
