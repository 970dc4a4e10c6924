import {
  DOMAIN_EVENT_SCHEMAS,
  domainEventSchema,
  type DomainEvent,
  type DomainEventOf,
  type DomainEventType,
} from "@order-flow/domain";
import { z } from "zod";
import { EVENT_QUEUE_NAMES, STRAY_REFUND_QUEUE, type JobQueueName } from "./queue-names.ts";
import { strayPaymentRefundSchema, type StrayPaymentRefund } from "./stray-payment-refund.ts";

/** Every payload that travels through the outbox into a queue. */
export const jobPayloadSchema = z.union([domainEventSchema, strayPaymentRefundSchema]);

export type JobPayload = DomainEvent | StrayPaymentRefund;

export type JobType = DomainEventType | StrayPaymentRefund["type"];

export const JOB_TYPES: readonly JobType[] = [
  ...(Object.keys(EVENT_QUEUE_NAMES) as DomainEventType[]),
  "StrayPaymentRefund",
];

export type JobPayloadOf<T extends JobType> = T extends DomainEventType
  ? DomainEventOf<T>
  : StrayPaymentRefund;

/** The zod schema per job type: workers parse every job with it before handling. */
export const JOB_PAYLOAD_SCHEMAS = {
  ...DOMAIN_EVENT_SCHEMAS,
  StrayPaymentRefund: strayPaymentRefundSchema,
} as const satisfies { [T in JobType]: z.ZodType<JobPayloadOf<T>> };

/** The queue each job type goes to. */
export const JOB_QUEUE = {
  ...EVENT_QUEUE_NAMES,
  StrayPaymentRefund: STRAY_REFUND_QUEUE,
} as const satisfies { [T in JobType]: JobQueueName };

export function queueForJob(type: JobType): JobQueueName {
  return JOB_QUEUE[type];
}

/** Inverse of JOB_QUEUE: a queue carries exactly one job type. */
export function jobTypeOfQueue(queue: JobQueueName): JobType {
  const found = (Object.entries(JOB_QUEUE) as [JobType, JobQueueName][]).find(([, q]) => q === queue);
  if (!found) throw new Error(`no job type for queue ${queue}`);
  return found[0];
}
