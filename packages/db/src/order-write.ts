import type { AuditRecord, DomainEvent, OrderState, PaymentWebhookRecord, SaveOutcome } from "@order-flow/domain";
import { captureTraceContext } from "@order-flow/telemetry";
import type { Database } from "./database.ts";
import { outboxSinkOf } from "./outbox-sink.ts";
import type { NewPaymentCapture } from "./capture-repository.ts";
import { storeAnswerSql, type IdempotencyCompletion } from "./idempotency-repository.ts";
import type { PaymentStatus } from "./payment-repository.ts";
import { confirmReservationCtes } from "./reservation-confirm.ts";
import type { NewReservationLogRow } from "./reservation-log-row.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

export type NewPayment = { id: string; orderId: string; amount: number; now: Date };

export type PaymentChange = {
  id: string;
  from: PaymentStatus[];
  to: PaymentStatus;
  pgTransactionId?: string | null;
  refundId?: string | null;
  now: Date;
};

export type WebhookEventRecord = PaymentWebhookRecord;

/** What a gated transition's result means for its caller. */
export function transitionOutcome(result: OrderWriteResult): SaveOutcome {
  return result.passed ? "APPLIED" : result.orderFound ? "LOST_RACE" : "NOT_FOUND";
}

export type OrderWriteResult = {
  /** the gate (conditional order update or first webhook record) passed, so everything was written */
  passed: boolean;
  /** for a conditional update that did not pass: whether the order exists at all */
  orderFound: boolean;
  /** with a webhook record: the order was still at the expected version (so the record was a replay) */
  orderWasCurrent: boolean;
  /** with onlyIfCatalogAgrees: the lines' names, prices and store were still the catalog's (false: nothing was written) */
  catalogAgreed: boolean;
};

/**
 * One order change as ONE statement (data-modifying CTEs), so it is atomic without
 * BEGIN/COMMIT round trips and costs one round trip in all. An optional gate (the
 * conditional order update, the first record of a webhook event, or the idempotency claim
 * a new order answers) decides whether the other parts write anything: a change never
 * lands without its audit and outbox rows.
 */
export class OrderWrite {
  readonly #p = new SqlParams();
  readonly #ctes: string[] = [];
  readonly #audit: AuditRecord[] = [];
  readonly #events: DomainEvent[] = [];
  #availableAt: Date | null = null;
  #gate: string | null = null;
  #orderId: string | null = null;
  #orderNumber: string | null = null;
  #lockedForWebhook = false;
  #catalogChecked = false;

  /**
   * The conditional write on id + expected status + version; becomes the gate. With
   * `onlyWithWebhookRecord`, the order row is first locked at that version, the event is
   * recorded, and the update runs only if the record was new: a replayed event changes
   * nothing, and twins of one event serialize on the record's unique key.
   */
  transition(previous: OrderState, next: OrderState, options: { onlyWithWebhookRecord?: WebhookEventRecord } = {}): this {
    const p = this.#p;
    const id = p.add(previous.id, "uuid");
    this.#orderId = id;
    this.#orderNumber = next.orderNumber;
    const expected = `id = ${id} AND status = ${p.add(previous.status)} AND version = ${p.add(previous.version)}`;
    let where = expected;
    if (options.onlyWithWebhookRecord) {
      this.#cte("locked", `SELECT id FROM p_order WHERE ${expected} FOR UPDATE`);
      this.#gate = "locked";
      this.recordWebhookEvent(options.onlyWithWebhookRecord);
      where = `id = ${id} AND EXISTS (SELECT 1 FROM webhook_event)`;
      this.#lockedForWebhook = true;
    }
    this.#cte(
      "upd",
      `UPDATE p_order SET status = ${p.add(next.status)}, total_amount = ${p.add(next.totalAmount)},
         reservation_id = ${p.add(next.reservationId)}, payment_id = ${p.add(next.paymentId, "uuid")},
         expires_at = ${p.add(next.expiresAt)}, confirmed_at = ${p.add(next.confirmedAt, "timestamptz")},
         cancelled_at = ${p.add(next.cancelledAt, "timestamptz")}, failure_reason = ${p.add(next.failureReason)},
         refund_id = ${p.add(next.refundId)}, version = ${p.add(next.version)}, updated_at = ${p.add(next.updatedAt)}
       WHERE ${where}
       RETURNING id`,
    );
    this.#gate = "upd";
    return this;
  }

  /**
   * Stores the answer to the request's Idempotency-Key with the work it answers for; becomes
   * the gate, so when an answer is already stored for the key (a twin's, even one that
   * Redis lost track of) this statement writes nothing. Add it before the parts it gates
   * (insertOrder and the rest).
   */
  completeIdempotencyClaim(claim: IdempotencyCompletion): this {
    const earlier = this.#gate ? `WHERE EXISTS (SELECT 1 FROM ${this.#gate})` : "";
    this.#cte("idempotency_claim", storeAnswerSql(this.#p, claim, earlier));
    this.#gate = "idempotency_claim";
    return this;
  }

  /**
   * The first gate of a new order priced from a cached catalog: every line's product still
   * exists in the store with the name and price the order carries, read in the statement's own
   * snapshot. When it does not, nothing is written (not even the key's answer) and the caller
   * prices the order again from a fresh read. Add it before every other part.
   */
  onlyIfCatalogAgrees(storeId: string, items: readonly { productId: string; productName: string; unitPrice: number }[]): this {
    const p = this.#p;
    const lines = items.map(({ productId, productName, unitPrice }) => ({ productId, productName, unitPrice }));
    this.#cte(
      "catalog_agrees",
      `SELECT 1 WHERE NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset(${p.json(lines)}) AS x("productId" uuid, "productName" text, "unitPrice" bigint)
         LEFT JOIN p_product pr ON pr.id = x."productId"
         WHERE pr.id IS NULL OR pr.store_id <> ${p.add(storeId, "uuid")} OR pr.price <> x."unitPrice" OR pr.name <> x."productName")`,
    );
    this.#gate = "catalog_agrees";
    this.#catalogChecked = true;
    return this;
  }

  /** A new order with its items (behind the gate, if there is one: completeIdempotencyClaim). */
  insertOrder(order: OrderState): this {
    const p = this.#p;
    this.#orderNumber = order.orderNumber;
    const id = p.add(order.id, "uuid");
    this.#cte(
      "new_order",
      `INSERT INTO p_order (id, user_id, store_id, order_number, status, total_amount, reservation_id, payment_id,
         expires_at, confirmed_at, cancelled_at, failure_reason, refund_id, version, created_at, updated_at)
       SELECT ${id}, ${p.add(order.userId, "uuid")}, ${p.add(order.storeId, "uuid")}, ${p.add(order.orderNumber, "text")},
         ${p.add(order.status, "text")}, ${p.add(order.totalAmount, "bigint")}, ${p.add(order.reservationId, "text")},
         ${p.add(order.paymentId, "uuid")}, ${p.add(order.expiresAt, "timestamptz")}, ${p.add(order.confirmedAt, "timestamptz")},
         ${p.add(order.cancelledAt, "timestamptz")}, ${p.add(order.failureReason, "text")}, ${p.add(order.refundId, "text")},
         ${p.add(order.version, "int")}, ${p.add(order.createdAt, "timestamptz")}, ${p.add(order.updatedAt, "timestamptz")}
       ${this.#where()}`,
    );
    this.#cte(
      "new_items",
      `INSERT INTO p_order_item (id, order_id, product_id, product_name, unit_price, quantity)
       SELECT gen_random_uuid(), ${id}, x."productId", x."productName", x."unitPrice", x.quantity
       FROM jsonb_to_recordset(${p.json(order.items)})
         AS x("productId" uuid, "productName" text, "unitPrice" bigint, quantity int)
       ${this.#where()}`,
    );
    return this;
  }

  /** Records a PG webhook event once; it is the gate unless a transition already is. */
  recordWebhookEvent(record: WebhookEventRecord): this {
    const p = this.#p;
    this.#cte(
      "webhook_event",
      `INSERT INTO p_payment_webhook_event (event_id, payment_id, order_id, status, amount, outcome, received_at, payload)
       SELECT ${p.add(record.eventId)}, ${p.add(record.paymentId)}, ${p.add(record.orderId)}, ${p.add(record.status)},
         ${p.add(record.amount, "bigint")}, ${p.add(record.outcome)}, ${p.add(record.receivedAt, "timestamptz")}, ${p.json(record.payload ?? null)}
       ${this.#where()}
       ON CONFLICT DO NOTHING RETURNING 1`,
    );
    this.#gate ??= "webhook_event";
    return this;
  }

  /**
   * One capture the PG reported, keyed by its pgTransactionId (a replay of a known capture
   * writes nothing). Written with the webhook record that accepted it, behind the same gate.
   */
  recordCapture(capture: NewPaymentCapture): this {
    const p = this.#p;
    this.#cte(
      `capture_${this.#ctes.length}`,
      `INSERT INTO p_payment_capture (pg_transaction_id, payment_id, order_id, amount, kept, webhook_event_id, captured_at)
       SELECT ${p.add(capture.pgTransactionId)}, ${p.add(capture.paymentId, "uuid")}, ${p.add(capture.orderId, "uuid")},
         ${p.add(capture.amount, "bigint")}, ${p.add(capture.kept, "boolean")}, ${p.add(capture.webhookEventId)},
         ${p.add(capture.capturedAt, "timestamptz")}
       ${this.#where()}
       ON CONFLICT DO NOTHING`,
    );
    return this;
  }

  /** Audit entries, written after the transition's own in one INSERT (their seq keeps this order). */
  audit(records: AuditRecord[]): this {
    this.#audit.push(...records);
    return this;
  }

  /** Outbox rows, handed to the pool's outbox sink once the statement has committed. */
  events(events: DomainEvent[], options: { availableAt?: Date } = {}): this {
    this.#events.push(...events);
    if (options.availableAt) this.#availableAt = options.availableAt;
    return this;
  }

  insertPayment(payment: NewPayment): this {
    const p = this.#p;
    this.#cte(
      "new_payment",
      `INSERT INTO p_payment (id, order_id, amount, status, created_at, updated_at)
       SELECT ${p.add(payment.id, "uuid")}, ${p.add(payment.orderId, "uuid")}, ${p.add(payment.amount, "bigint")}, 'REQUESTED',
         ${p.add(payment.now, "timestamptz")}, ${p.add(payment.now, "timestamptz")}
       ${this.#where()}`,
    );
    return this;
  }

  /** Conditional payment status change (only from one of `from`). */
  changePaymentStatus(change: PaymentChange): this {
    const p = this.#p;
    const sets = [`status = ${p.add(change.to)}`, `updated_at = ${p.add(change.now, "timestamptz")}`];
    if (change.pgTransactionId !== undefined) sets.push(`pg_transaction_id = ${p.add(change.pgTransactionId)}`);
    if (change.refundId !== undefined) sets.push(`refund_id = ${p.add(change.refundId)}`);
    const gate = this.#gate ? ` AND EXISTS (SELECT 1 FROM ${this.#gate})` : "";
    this.#cte(
      `payment_change_${this.#ctes.length}`,
      `UPDATE p_payment SET ${sets.join(", ")}
       WHERE id = ${p.add(change.id, "uuid")} AND status = ANY(${p.add(change.from, "text[]")})${gate}`,
    );
    return this;
  }

  /** The durable RESERVED copy of a Redis hold. */
  insertReservationLog(row: NewReservationLogRow): this {
    const p = this.#p;
    this.#cte(
      "reservation_log",
      `INSERT INTO p_stock_reservation_log (id, reservation_id, order_id, store_id, products, status, expires_at, created_at, updated_at)
       SELECT ${p.add(row.id, "uuid")}, ${p.add(row.reservationId)}, ${p.add(row.orderId, "uuid")}, ${p.add(row.storeId, "uuid")},
         ${p.json(row.products)}, 'RESERVED', ${p.add(row.expiresAt, "timestamptz")}, ${p.add(row.createdAt, "timestamptz")},
         ${p.add(row.createdAt, "timestamptz")}
       ${this.#where()}`,
    );
    return this;
  }

  /**
   * The durable half of a sale (its Redis half ran first): the log row RESERVED -> CONFIRMED
   * and on_hand lowered by its products, behind the gate, so the sale lands with the order
   * change that records it or not at all. A row no longer RESERVED (already sold, or released
   * by a cancel that won) changes nothing.
   */
  confirmReservation(reservationId: string): this {
    this.#ctes.push(...confirmReservationCtes(this.#p, reservationId, this.#gate));
    return this;
  }

  /** Runs the write as one statement on the database's pool. */
  async run(db: Database): Promise<OrderWriteResult> {
    const p = this.#p;
    if (this.#audit.length > 0) {
      this.#cte(
        "audit",
        `INSERT INTO p_order_audit (id, event_id, order_id, event_type, change_summary, actor_user_id, recorded_at, metadata)
         SELECT x."eventId", x."eventId", x."orderId", x."eventType", x."changeSummary", x."actorUserId", x."recordedAt",
           COALESCE(x.metadata, '{}')
         FROM jsonb_to_recordset(${p.json(this.#audit)})
           AS x("eventId" uuid, "orderId" uuid, "eventType" text, "changeSummary" text, "actorUserId" uuid,
                "recordedAt" timestamptz, metadata jsonb)
         ${this.#where()}
         ON CONFLICT DO NOTHING`,
      );
    }
    // The writer's trace travels with its events (row and dispatch): the jobs they become continue it.
    const traceContext = this.#events.length > 0 ? captureTraceContext() : null;
    if (this.#events.length > 0) {
      const availableAt = p.add(this.#availableAt, "timestamptz");
      const traceParam = p.add(traceContext, "text");
      this.#cte(
        "outbox",
        `INSERT INTO p_outbox_event (id, order_id, event_type, payload, available_at, created_at, trace_context)
         SELECT (e->>'eventId')::uuid, (e->>'orderId')::uuid, e->>'type', e,
           COALESCE(${availableAt}, (e->>'occurredAt')::timestamptz), (e->>'occurredAt')::timestamptz, ${traceParam}
         FROM jsonb_array_elements(${p.json(this.#events)}) AS e
         ${this.#where()}
         ON CONFLICT DO NOTHING`,
      );
      // No NOTIFY here: it takes a global lock through the commit. The committing process
      // dispatches right after the commit (outbox sink); the relay is the safety net.
    }
    const passed = this.#gate ? `EXISTS (SELECT 1 FROM ${this.#gate})` : "true";
    const found = this.#orderId ? `EXISTS (SELECT 1 FROM p_order WHERE id = ${this.#orderId})` : "true";
    const extra =
      (this.#lockedForWebhook ? ", EXISTS (SELECT 1 FROM locked) AS locked" : "") +
      (this.#catalogChecked ? ", EXISTS (SELECT 1 FROM catalog_agrees) AS catalog" : "");
    const text = `WITH ${this.#ctes.join(",\n")}\nSELECT ${passed} AS passed, ${found} AS found${extra}`;
    const [row] = await runStatement<{ passed: boolean; found: boolean; locked?: boolean; catalog?: boolean }>(db, text, p);
    if (row?.passed === true && this.#events.length > 0) {
      outboxSinkOf(db)?.({ events: this.#events, availableAt: this.#availableAt, orderNumber: this.#orderNumber, traceContext });
    }
    return {
      passed: row?.passed === true,
      orderFound: row?.found === true,
      orderWasCurrent: row?.locked === true,
      catalogAgreed: row?.catalog !== false,
    };
  }

  #cte(name: string, sql: string): void {
    this.#ctes.push(`${name} AS (${sql})`);
  }

  #where(): string {
    return this.#gate ? `WHERE EXISTS (SELECT 1 FROM ${this.#gate})` : "";
  }
}
