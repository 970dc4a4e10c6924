import type { AlongsideWrite, InsertOptions, InsertOutcome, NewOrder, OrderStore, PaymentWebhookRecord, SaveOutcome, TransitionResult } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { orderRepository } from "./order-repository.ts";
import { OrderWrite, transitionOutcome } from "./order-write.ts";
import { readWebhookSubject } from "./webhook-subject-reader.ts";

/** Each alongside write as its part of the one statement. */
function addAlongside(write: OrderWrite, parts: readonly AlongsideWrite[]): void {
  for (const part of parts) {
    switch (part.kind) {
      case "openPayment":
        write.insertPayment({ id: part.paymentId, orderId: part.orderId, amount: part.amount, now: part.at });
        break;
      case "paymentStatus":
        write.changePaymentStatus({
          id: part.paymentId,
          from: [...part.from],
          to: part.to,
          ...(part.pgTransactionId !== undefined ? { pgTransactionId: part.pgTransactionId } : {}),
          ...(part.refundId !== undefined ? { refundId: part.refundId } : {}),
          now: part.at,
        });
        break;
      case "capture":
        write.recordCapture({
          pgTransactionId: part.pgTransactionId,
          paymentId: part.paymentId,
          orderId: part.orderId,
          amount: part.amount,
          kept: part.kept,
          webhookEventId: part.webhookEventId,
          capturedAt: part.capturedAt,
        });
        break;
      case "confirmReservation":
        write.confirmReservation(part.reservationId);
        break;
      case "audit":
        write.audit(part.records);
        break;
      case "events":
        write.events(part.events);
        break;
    }
  }
}

/** The order store on PostgreSQL: reads are single queries, each save one statement. */
export function pgOrderStore(db: Database): OrderStore {
  return {
    async insert(newOrder: NewOrder, options: InsertOptions = {}): Promise<InsertOutcome> {
      const { order } = newOrder;
      const write = new OrderWrite();
      if (options.catalogPriced) write.onlyIfCatalogAgrees(order.storeId, order.items);
      if (options.answer) write.completeIdempotencyClaim(options.answer);
      write.insertOrder(order).audit(newOrder.audit).events(newOrder.events);
      if (options.reservationLog) write.insertReservationLog(options.reservationLog);
      try {
        const written = await write.run(db);
        if (!written.catalogAgreed) return "CATALOG_CHANGED";
        return written.passed ? "PLACED" : "KEY_ANSWERED";
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        if (e.code === "23505" && e.constraint === "p_order_order_number_key") return "NUMBER_TAKEN";
        throw err;
      }
    },

    find: (orderId) => orderRepository.findById(db, orderId),

    findForViewer: (orderId, viewer) => orderRepository.findForViewer(db, orderId, viewer),

    // One statement: the conditional update (behind the webhook's record with onlyOnce), its
    // audit entries and events, and what rides along; nothing lands unless the update does.
    async save(result: TransitionResult, options = {}): Promise<SaveOutcome> {
      const gate = options.onlyOnce ? { onlyWithWebhookRecord: options.onlyOnce } : {};
      const write = new OrderWrite().transition(result.previous, result.order, gate).audit(result.audit).events(result.events);
      addAlongside(write, options.alongside ?? []);
      const written = await write.run(db);
      if (options.onlyOnce && !written.passed && written.orderWasCurrent) return "REPLAYED";
      return transitionOutcome(written);
    },

    readWebhookSubject: (ids) => readWebhookSubject(db, ids),

    async recordOnce(record: PaymentWebhookRecord, alongside = []): Promise<boolean> {
      const write = new OrderWrite().recordWebhookEvent(record);
      addAlongside(write, alongside);
      return (await write.run(db)).passed;
    },
  };
}
