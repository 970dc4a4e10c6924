import { randomUUID } from "node:crypto";
import { DOMAIN_EVENT_TYPES } from "@order-flow/domain";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  ALL_QUEUE_NAMES,
  EVENT_QUEUE_NAMES,
  JOB_PAYLOAD_SCHEMAS,
  JOB_TYPES,
  bullPrefix,
  createProducerConnection,
  createWorkerConnection,
  defaultJobOptions,
  jobPayloadSchema,
  jobTypeOfQueue,
  orderTimeoutJobId,
  queueForJob,
} from "../src/index.ts";

const stray = {
  type: "StrayPaymentRefund",
  eventId: randomUUID(),
  orderId: randomUUID(),
  actor: { userId: null, role: "system" },
  occurredAt: new Date().toISOString(),
  paymentId: randomUUID(),
  amount: 24000,
  reason: "AMOUNT_MISMATCH",
  pgTransactionId: "pg-1",
};

describe("queues module", () => {
  it("has one kebab-case queue per domain event, plus payment-refunds and maintenance", () => {
    expect(Object.keys(EVENT_QUEUE_NAMES).sort()).toEqual([...DOMAIN_EVENT_TYPES].sort());
    expect(ALL_QUEUE_NAMES).toHaveLength(10);
    expect(new Set(ALL_QUEUE_NAMES).size).toBe(10);
    for (const name of ALL_QUEUE_NAMES) expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    for (const type of JOB_TYPES) {
      expect(jobTypeOfQueue(queueForJob(type))).toBe(type);
      expect(JOB_PAYLOAD_SCHEMAS[type]).toBeDefined();
    }
    expect(queueForJob("StrayPaymentRefund")).toBe("payment-refunds");
  });

  it("parses a StrayPaymentRefund payload and refuses a bad one", () => {
    expect(jobPayloadSchema.parse(JSON.parse(JSON.stringify(stray)))).toEqual(stray);
    expect(jobPayloadSchema.safeParse({ ...stray, reason: "WHATEVER" }).success).toBe(false);
    expect(jobPayloadSchema.safeParse({ ...stray, amount: -1 }).success).toBe(false);
  });

  it("states retries, exponential backoff and bounded retention", () => {
    const options = defaultJobOptions({ attempts: 4, backoffMs: 200 });
    expect(options).toMatchObject({ attempts: 4, backoff: { type: "exponential", delay: 200 } });
    expect(options.removeOnComplete).toMatchObject({ count: expect.any(Number) });
    expect(options.removeOnFail).toMatchObject({ age: expect.any(Number), count: expect.any(Number) });
  });

  it("wraps the prefix in a hash tag and builds colon-free timeout job ids", () => {
    expect(bullPrefix("of")).toBe("{of}");
    expect(bullPrefix("of:")).toBe("{of}");
    expect(orderTimeoutJobId("abc")).toBe("timeout-abc");
    expect(orderTimeoutJobId(randomUUID())).not.toContain(":");
  });

  it("configures worker and producer connections as BullMQ advises, honouring the db number", async () => {
    const worker = createWorkerConnection({ url: "redis://127.0.0.1:6379/3" }) as Redis;
    const producer = createProducerConnection({ url: "redis://127.0.0.1:6379/3" }) as Redis;
    try {
      expect(worker.options.maxRetriesPerRequest).toBeNull();
      expect(worker.options.db).toBe(3);
      expect(producer.options.enableOfflineQueue).toBe(false);
      expect(producer.options.db).toBe(3);
    } finally {
      worker.disconnect();
      producer.disconnect();
    }
  });
});
