import type { DomainEventType } from "@order-flow/domain";

/** One queue per domain event type (kebab-case), so each handler scales and retries on its own. */
export const EVENT_QUEUE_NAMES = {
  OrderCreated: "order-created",
  StockReserved: "stock-reserved",
  PaymentRequested: "payment-requested",
  PaymentCompleted: "payment-completed",
  OrderConfirmed: "order-confirmed",
  OrderCancelled: "order-cancelled",
  OrderRefunded: "order-refunded",
  OrderTimeout: "order-timeout",
} as const satisfies { [T in DomainEventType]: string };

/** Refunds of payments that arrived for an order that no longer takes them (webhook → outbox). */
export const STRAY_REFUND_QUEUE = "payment-refunds";

/** Job schedulers (sweeps, purges): one queue, fixed scheduler ids. */
export const MAINTENANCE_QUEUE = "maintenance";

export type EventQueueName = (typeof EVENT_QUEUE_NAMES)[DomainEventType];

/** Queues that carry outbox jobs (one job type each). */
export type JobQueueName = EventQueueName | typeof STRAY_REFUND_QUEUE;

export type QueueName = JobQueueName | typeof MAINTENANCE_QUEUE;

export const JOB_QUEUE_NAMES: readonly JobQueueName[] = [...Object.values(EVENT_QUEUE_NAMES), STRAY_REFUND_QUEUE];

export const ALL_QUEUE_NAMES: readonly QueueName[] = [...JOB_QUEUE_NAMES, MAINTENANCE_QUEUE];

/** BullMQ refuses custom job ids containing ":"; this one is fixed so payment can remove it. */
export function orderTimeoutJobId(orderId: string): string {
  return `timeout-${orderId}`;
}
