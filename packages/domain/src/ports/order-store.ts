import type { AuditRecord } from "../audit/audit-record.ts";
import type { DomainEvent } from "../events/domain-event.ts";
import type { Actor } from "../order/actor.ts";
import type { OrderState } from "../order/order-state.ts";
import type { TransitionResult } from "../order/transition-result.ts";
import type { NewReservationLogRow } from "./reservation-ledger.ts";

/**
 * APPLIED: the order was still as the transition read it, and everything was written.
 * LOST_RACE: the order had moved; nothing was written. NOT_FOUND: there is no such order.
 * REPLAYED (only with `onlyOnce`): the order was as read, but the event was recorded before.
 */
export type SaveOutcome = "APPLIED" | "LOST_RACE" | "NOT_FOUND" | "REPLAYED";

export type PaymentRowStatus = "REQUESTED" | "PAID" | "FAILED" | "CANCELLED" | "REFUNDED";

/** A payment as kept beside its order: the first capture it describes, or its refund. */
export type PaymentRow = {
  id: string;
  orderId: string;
  amount: number;
  status: PaymentRowStatus;
  pgTransactionId: string | null;
  refundId: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/** What a PG webhook is judged on: its payment, its order, and whether its capture is known. */
export type WebhookSubject = { payment: PaymentRow | null; order: OrderState | null; captureKnown: boolean };

/** The ids a webhook names; a null id reads nothing (not a UUID, or no capture to look up). */
export type WebhookSubjectIds = { paymentId: string | null; orderId: string | null; pgTransactionId: string | null };

/** A PG webhook as received, recorded once per PG event id. */
export type PaymentWebhookRecord = {
  eventId: string;
  paymentId: string | null;
  orderId: string | null;
  status: string;
  amount: number | null;
  outcome: string;
  receivedAt: Date;
  payload: unknown;
};

/** Writes that ride in the same statement as a transition (or a webhook record), only if it lands. */
export type AlongsideWrite =
  /** the payment POST /payment opens */
  | { kind: "openPayment"; paymentId: string; orderId: string; amount: number; at: Date }
  /** a payment row's status, changed only from one of `from` */
  | {
      kind: "paymentStatus";
      paymentId: string;
      from: readonly PaymentRowStatus[];
      to: PaymentRowStatus;
      pgTransactionId?: string | null;
      refundId?: string | null;
      at: Date;
    }
  /** one capture the PG reported (a known pgTransactionId writes nothing) */
  | {
      kind: "capture";
      pgTransactionId: string;
      paymentId: string;
      orderId: string;
      amount: number;
      /** the capture that paid the order */
      kept: boolean;
      webhookEventId: string;
      capturedAt: Date;
    }
  /** the sale's durable half: the reservation's log row CONFIRMED and on_hand down, once */
  | { kind: "confirmReservation"; reservationId: string }
  /** audit entries besides the transition's own */
  | { kind: "audit"; records: AuditRecord[] }
  /** jobs besides the transition's events, through the outbox */
  | { kind: "events"; events: DomainEvent[] };

export type SaveOptions = {
  alongside?: AlongsideWrite[];
  /**
   * The webhook's gate: the order is locked at the version the transition was judged on, the
   * record is written once, and only then the order changes. A replayed event changes nothing.
   */
  onlyOnce?: PaymentWebhookRecord;
};

/** A new order as first written: the row with its items, its audit entries and its events. */
export type NewOrder = { order: OrderState; audit: AuditRecord[]; events: DomainEvent[] };

/** The answer to an Idempotency-Key, stored by the statement that does the request's work. */
export type IdempotentAnswer = {
  userId: string;
  key: string;
  /** the request that stored it (a random token per request) */
  owner: string;
  requestHash: string;
  /** when the request claimed the key; the answer is kept 24 h from then */
  at: Date;
  status: number;
  body: unknown;
};

export type InsertOptions = {
  /** the lines were priced from a catalog kept in memory: write only if p_product still agrees */
  catalogPriced?: boolean;
  /** stored with the order; the statement writes nothing when the key was answered already */
  answer?: IdempotentAnswer;
  /** the hold's durable copy (RESERVED) */
  reservationLog?: NewReservationLogRow;
};

/**
 * PLACED: everything was written. KEY_ANSWERED: another request answered the key first; nothing
 * was written. CATALOG_CHANGED: a line's name, price or store changed since it was priced;
 * nothing was written. NUMBER_TAKEN: the order number is another order's; nothing was written.
 */
export type InsertOutcome = "PLACED" | "KEY_ANSWERED" | "CATALOG_CHANGED" | "NUMBER_TAKEN";

/** Where orders are kept; every change is one conditional write, atomic with its audit and events. */
export interface OrderStore {
  /** A new order with its items, audit and events (and what `options` adds), in one statement. */
  insert(newOrder: NewOrder, options?: InsertOptions): Promise<InsertOutcome>;
  /** The order with its items, or null. */
  find(orderId: string): Promise<OrderState | null>;
  /** The order if it exists and the viewer may see it; null otherwise. */
  findForViewer(orderId: string, viewer: Actor): Promise<OrderState | null>;
  /** Writes the transition only if the order is still at `result.previous` (status and version). */
  save(result: TransitionResult, options?: SaveOptions): Promise<SaveOutcome>;
  /** The webhook's three reads in one query (one round trip, one snapshot). */
  readWebhookSubject(ids: WebhookSubjectIds): Promise<WebhookSubject>;
  /** Records a webhook that changes no order (with its alongside writes) once; false for a replay. */
  recordOnce(record: PaymentWebhookRecord, alongside?: AlongsideWrite[]): Promise<boolean>;
}
