import type { AuditRecord } from "../audit/audit-record.ts";
import type { DomainEvent } from "../events/domain-event.ts";
import type { OrderState } from "./order-state.ts";

/**
 * The outcome of an action: the new state (version + 1, updatedAt = now), the state it was
 * written over (persist with WHERE status = previous.status AND version = previous.version),
 * the events to put in the outbox, and the audit records (one per event, sharing its eventId;
 * one with a fresh id when no event is raised).
 */
export type TransitionResult = {
  order: OrderState;
  previous: OrderState;
  events: DomainEvent[];
  audit: AuditRecord[];
};

/** Order.create's outcome: as TransitionResult, but there is no previous state (version 0). */
export type CreateResult = Omit<TransitionResult, "previous"> & { previous: null };
