import type { DomainEvent } from "@order-flow/domain";
import type pg from "pg";
import type { PrismaClient } from "./client.ts";

/** Events an order statement has just committed to the outbox. */
export type CommittedEvents = {
  events: DomainEvent[];
  availableAt: Date | null;
  orderNumber: string | null;
  /** the writer's W3C trace context (null when tracing is off) */
  traceContext: string | null;
};

/**
 * Called right after a statement that wrote outbox rows has committed, in the process that
 * committed it. It must not throw or wait: a dispatch it loses is the relay's to repeat.
 */
export type OutboxSink = (committed: CommittedEvents) => void;

const sinks = new WeakMap<pg.Pool, OutboxSink>();

/** Hands this client's committed events to `sink` (null: leave them all to the relay). */
export function onOutboxCommit(prisma: PrismaClient, sink: OutboxSink | null): void {
  if (sink) sinks.set(prisma.$pool, sink);
  else sinks.delete(prisma.$pool);
}

export function outboxSinkOf(pool: pg.Pool): OutboxSink | undefined {
  return sinks.get(pool);
}
