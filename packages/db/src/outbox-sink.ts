import type { DomainEvent } from "@order-flow/domain";
import type { Database } from "./database.ts";

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

const sinks = new WeakMap<Database, OutboxSink>();

/** Hands the events committed through this database to `sink` (null: leave them all to the relay). */
export function onOutboxCommit(db: Database, sink: OutboxSink | null): void {
  if (sink) sinks.set(db, sink);
  else sinks.delete(db);
}

export function outboxSinkOf(db: Database): OutboxSink | undefined {
  return sinks.get(db);
}
