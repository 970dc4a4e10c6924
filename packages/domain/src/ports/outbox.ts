import type { DomainEvent } from "../events/domain-event.ts";

/** The events one statement has just committed to the outbox (OrderStore.save and the like). */
export type CommittedEvents = {
  events: DomainEvent[];
  /** when their jobs are due (null: each at its event's occurredAt) */
  availableAt: Date | null;
  orderNumber: string | null;
  /** the writer's W3C trace context (null when tracing is off) */
  traceContext: string | null;
};

/**
 * Called right after a statement that wrote outbox events has committed, in the process that
 * committed it. It must not throw or wait: a dispatch it loses is the relay's to repeat.
 */
export type OutboxSink = (committed: CommittedEvents) => void;

/** An event waiting in the outbox, as the relay reads it back to publish it. */
export type OutboxEvent = {
  id: string;
  eventType: string;
  payload: DomainEvent;
  availableAt: Date;
  /** the order's number, for naming its job (null if the order is gone) */
  orderNumber: string | null;
  /** W3C trace context of the write that raised the event (JSON), null when it was not traced */
  traceContext: string | null;
};

/**
 * Events committed with their order, waiting to become jobs. The order's own statement writes
 * them (OrderStore); this is everything after the commit: the committing process's sink, the
 * sent marks, the relay that publishes what a crash left unsent, and their upkeep. An event
 * stays unsent until a mark says its job is in the queues, so none is lost between the two.
 */
export interface Outbox {
  /** Hands the events this process commits to `sink` right after each commit (null: leave them all to the relay). */
  onCommit(sink: OutboxSink | null): void;
  /** Marks events sent whose jobs the committing process has added itself (one write per batch). */
  markSent(ids: readonly string[]): Promise<void>;
  /**
   * Takes up to `limit` unsent events, if no relay in another process is taking them (0
   * otherwise); `publish` runs meanwhile and they are marked sent only if it resolves, so a
   * crash leaves them for the next pass. Events committed less than `graceMs` ago are left to
   * the process that committed them. Answers how many it took.
   */
  relayBatch(limit: number, publish: (events: OutboxEvent[]) => Promise<void>, graceMs?: number): Promise<number>;
  /**
   * Marks events sent since `since` unsent again, so the relay publishes them anew (the queue
   * lost their jobs). Handlers are idempotent: a job that had already run changes nothing.
   */
  requeueSentSince(since: Date): Promise<number>;
  /** How many events wait unsent (readiness, metrics). */
  pendingCount(): Promise<number>;
  /** Removes events sent before `olderThan` (kept a while for inspection). */
  purgeSent(olderThan: Date): Promise<number>;
  /** The trace context of an order's first traced event (its creation): the order's trace. */
  orderTraceContext(orderId: string): Promise<string | null>;
}
