import { randomBytes, randomUUID } from "node:crypto";
import {
  Order,
  actionForTargetStatus,
  changeOrder,
  generateOrderNumber,
  roleMayEver,
  ForbiddenAction,
  SYSTEM_ACTOR,
  type Actor,
  type Decision,
  type IdempotentAnswer,
  type NewOrder,
  type NewReservationLogRow,
  type OrderAction,
  type OrderState,
  type OrderStore,
  type SaveOptions,
  type StoreSettableStatus,
  type TransitionResult,
} from "@order-flow/domain";
import { productRepository, type Database } from "@order-flow/db";
import { isPaymentGatewayError, type PaymentGateway } from "@order-flow/payments";
import type { StockReservationService } from "@order-flow/stock";
import type { OrderMetricsHook } from "../metrics.ts";
import { ApiProblem } from "../problem.ts";
import { RecentOrders } from "./recent-orders.ts";
import { catalogCache, type CatalogCache, type CatalogEntry } from "../catalog/catalog-cache.ts";

export type OrderCommandDeps = {
  /** orders placed here lately, so POST /orders/:id/payment needs no read (default: its own) */
  recentOrders?: RecentOrders;
  /** the catalog entries orders are priced from (default: a cache of its own over productRepository) */
  catalog?: CatalogCache;
  db: Database;
  orders: OrderStore;
  stock: StockReservationService;
  holdSeconds: number;
  now?: () => Date;
  metrics?: OrderMetricsHook;
  /** draws an order number (default: generateOrderNumber with fresh random bytes); tests force clashes */
  newOrderNumber?: (now: Date) => string;
  /**
   * A gateway whose customer pays in the browser (Stripe): the payment is opened there before
   * POST /orders/:id/payment answers, so the answer carries its client secret. Without it the
   * PaymentRequested handler opens the payment asynchronously (the sandbox).
   */
  gateway?: PaymentGateway;
};

export type PlaceOrderInput = { storeId: string; items: { productId: string; quantity: number }[] };

/** An order that was placed: its stock held, or kept as STOCK_RESERVATION_FAILED. */
export type PlacedOrder =
  | { kind: "RESERVED"; order: OrderState }
  | { kind: "OUT_OF_STOCK"; order: OrderState; productId: string; requested: number; available: number };

/** CLAIM_LOST: a twin stored the answer to this request's Idempotency-Key first; no order was made, no stock is held. */
export type PlaceOrderOutcome = PlacedOrder | { kind: "CLAIM_LOST" };

/**
 * The Idempotency-Key this request claimed: the order's statement stores the answer to the
 * placed order with it, and makes the order only if no answer was stored for the key first.
 */
export type PlaceOrderClaim = Omit<IdempotentAnswer, "status" | "body"> & {
  answer: (placed: PlacedOrder) => { status: number; body: unknown };
};

/** Tries of one change before the client is told to retry (each lost one re-reads the order). */
const CHANGE_TRIES = 4;
/** Writes of one new order (a number clash or a catalog change each cost one) before giving up. */
const NEW_ORDER_TRIES = 4;

/** The use cases behind the order endpoints; each change goes through the Order aggregate. */
export function orderCommands(deps: OrderCommandDeps) {
  const now = deps.now ?? (() => new Date());
  const catalog = deps.catalog ?? catalogCache({ read: (ids) => productRepository.findMany(deps.db, ids) });
  const newOrderNumber = deps.newOrderNumber ?? ((at: Date) => generateOrderNumber(at, randomBytes(8)));
  const ctx = (actor: Actor) => ({ actor, now: now(), newId: randomUUID });
  const recentOrders = deps.recentOrders ?? new RecentOrders();

  async function visibleOrder(orderId: string, actor: Actor): Promise<OrderState> {
    const order = await deps.orders.findForViewer(orderId, actor);
    if (!order) throw new ApiProblem("NOT_FOUND", `Order ${orderId} not found`);
    return order;
  }

  function assertRoleMay(actor: Actor, action: OrderAction): void {
    if (!roleMayEver(actor.role, action)) throw new ForbiddenAction(actor.role, action);
  }

  /**
   * Reads the order, asks the aggregate, writes the result conditionally; re-reads and asks
   * again when another writer got there first, so the answer reflects the latest state.
   * A refusal is the aggregate's (403 ownership or role, 409 state), in API.md's order.
   */
  async function change(
    orderId: string,
    actor: Actor,
    action: OrderAction,
    decide: (order: OrderState) => Decision,
    /** writes in the same statement, made only when the transition wins */
    alongside?: (result: TransitionResult) => SaveOptions,
    /** the order as the caller just read it: saves the first read (the write is conditional anyway) */
    justRead?: OrderState,
  ): Promise<TransitionResult> {
    // API.md's order of checks: 404 (not visible) before 403 (role never may).
    const known = justRead ?? (await visibleOrder(orderId, actor));
    assertRoleMay(actor, action);
    const outcome = await changeOrder(deps.orders, {
      orderId,
      known,
      knownIsFresh: true,
      read: () => deps.orders.findForViewer(orderId, actor),
      decide,
      ...(alongside ? { alongside } : {}),
      maxTries: CHANGE_TRIES,
    });
    switch (outcome.kind) {
      case "APPLIED":
        deps.metrics?.recordTransition(outcome.result.previous.status, outcome.result.order.status);
        return outcome.result;
      case "REFUSED":
        throw outcome.why;
      case "NOT_FOUND":
      case "REPLAYED": // only behind a webhook's record-once gate, which no command uses
        throw new ApiProblem("NOT_FOUND", `Order ${orderId} not found`);
      case "CONTENDED":
        throw new ApiProblem(
          "INVALID_STATE_TRANSITION",
          `Order ${orderId} (${outcome.order.orderNumber}) changed concurrently ${outcome.tries} times; retry`,
        );
    }
  }

  /**
   * Opens the payment at a browser-paid gateway, idempotently on the paymentId (the same intent
   * however often it is asked, by this call or the PaymentRequested handler). The order is
   * already PAYMENT_PENDING: when the gateway cannot be reached the customer asks again.
   */
  async function openAtGateway(order: OrderState, paymentId: string): Promise<{ clientSecret?: string }> {
    if (!deps.gateway) return {};
    try {
      const { clientSecret } = await deps.gateway.requestPayment({ paymentId, orderId: order.id, amount: order.totalAmount });
      return clientSecret ? { clientSecret } : {};
    } catch (err) {
      if (!isPaymentGatewayError(err)) throw err;
      throw new ApiProblem(
        "SERVICE_UNAVAILABLE",
        `The payment gateway could not open payment ${paymentId} of order ${order.id} (${order.orderNumber}); ask again: ${err.message}`,
        { headers: { "Retry-After": "1" } },
      );
    }
  }

  /** Gives stock back right away (API.md: before the response); the event handler repeats it idempotently. */
  async function giveStockBack(order: OrderState, reason: "CANCELLED" | "REJECTED"): Promise<void> {
    if (order.reservationId) await deps.stock.release(order.reservationId, reason);
  }

  return {
    visibleOrder,
    assertRoleMay,

    /** `orderId`: the new order's id, drawn by the caller when it needs it first (to trace the work as the order's) */
    async place(actor: Actor, input: PlaceOrderInput, claim?: PlaceOrderClaim, orderId: string = randomUUID()): Promise<PlaceOrderOutcome> {
      const productIds = input.items.map((i) => i.productId);
      const inStore = (entries: Map<string, CatalogEntry>) =>
        input.items.every((i) => entries.get(i.productId)?.storeId === input.storeId);
      let byId = await catalog.entries(productIds);
      // Refused only on a fresh read: the refusal is the catalog's, not the cache's.
      if (!inStore(byId)) byId = await catalog.refresh(productIds);
      const assertInStore = () => {
        for (const item of input.items) {
          if (byId.get(item.productId)?.storeId !== input.storeId) {
            throw new ApiProblem("UNKNOWN_PRODUCT", `Product ${item.productId} does not exist in store ${input.storeId}`);
          }
        }
      };
      assertInStore();
      const c = ctx(actor);
      const expiresAt = new Date(c.now.getTime() + deps.holdSeconds * 1000);
      const create = (orderNumber: string) =>
        Order.create(
          {
            id: orderId,
            orderNumber,
            userId: actor.userId ?? "",
            storeId: input.storeId,
            expiresAt,
            items: input.items.map((i) => {
              const product = byId.get(i.productId)!;
              return { productId: i.productId, productName: product.name, unitPrice: product.price, quantity: i.quantity };
            }),
          },
          c,
        );
      // Built (and validated) before any stock is held; rebuilt whole if its number clashes.
      const created = create(newOrderNumber(c.now));
      // The hold alone; its durable copy rides in the order's transaction below.
      const { result: reservation, logRow } = await deps.stock
        .holdOnly({
          orderId,
          storeId: input.storeId,
          items: input.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
          holdSeconds: deps.holdSeconds,
          now: c.now,
        })
        .catch((err: unknown) => {
          deps.metrics?.recordReservation("error");
          throw err;
        });
      deps.metrics?.recordReservation(reservation.ok ? "made" : "failed");
      // The reservation result is the system's move, not the customer's.
      const system = { ...c, actor: SYSTEM_ACTOR };
      const draft = (made: ReturnType<typeof create>): NewOrder => {
        const next = reservation.ok
          ? Order.reserveStock(made.order, system, { reservationId: reservation.reservationId, expiresAt })
          : Order.failReservation(made.order, system, {
              reason: `Out of stock: product ${reservation.productId} has ${reservation.available} available, ${reservation.requested} requested`,
            });
        return { order: next.order, audit: [...made.audit, ...next.audit], events: [...made.events, ...next.events] };
      };
      const placed = (order: OrderState): PlacedOrder =>
        reservation.ok
          ? { kind: "RESERVED", order }
          : {
              kind: "OUT_OF_STOCK",
              order,
              productId: reservation.productId,
              requested: reservation.requested,
              available: reservation.available,
            };
      // The hold must not outlive an order that was not written; if this process dies before
      // it is given back, the reservation sweep finds a hold with no log row and no paid order
      // and releases it.
      const giveHoldBack = async () => {
        if (reservation.ok) await deps.stock.release(reservation.reservationId, "ROLLBACK").catch(() => {});
      };
      let next: NewOrder | null;
      try {
        next = await persistNewOrder(
          draft(created),
          (at) => draft(create(newOrderNumber(at))),
          async () => {
            byId = await catalog.refresh(productIds);
            assertInStore();
          },
          logRow,
          claim &&
            ((d) => {
              const { answer, ...key } = claim;
              return { ...key, ...answer(placed(d.order)) };
            }),
        );
      } catch (err) {
        await giveHoldBack();
        throw err;
      }
      if (next === null) {
        await giveHoldBack();
        return { kind: "CLAIM_LOST" };
      }
      deps.metrics?.recordTransition(created.order.status, next.order.status);
      recentOrders.remember(next.order);
      return placed(next.order);
    },

    async requestPayment(orderId: string, actor: Actor) {
      const paymentId = randomUUID();
      const decide = (order: OrderState) => Order.decide(order, "requestPayment", ctx(actor), { paymentId });
      const opening = (r: TransitionResult): SaveOptions => ({
        alongside: [{ kind: "openPayment", paymentId, orderId, amount: r.order.totalAmount, at: r.order.updatedAt }],
      });
      // The order as this process placed it, if the customer came back here: no read. Used only
      // when it is for this customer and the payment applies to it (ownership never changes).
      const remembered = recentOrders.take(orderId);
      if (remembered && Order.can(remembered, actor, "requestPayment") && decide(remembered).applies) {
        // One try: a lost race means the order moved since (a payment asked for through another
        // process, a timeout), and the request is answered as one that never had the copy is.
        const outcome = await changeOrder(deps.orders, { orderId, known: remembered, decide, alongside: opening, maxTries: 1 });
        if (outcome.kind === "APPLIED") {
          deps.metrics?.recordTransition(outcome.result.previous.status, outcome.result.order.status);
          return { order: outcome.result.order, paymentId, ...(await openAtGateway(outcome.result.order, paymentId)) };
        }
      }
      const current = await visibleOrder(orderId, actor);
      assertRoleMay(actor, "requestPayment");
      const pending = Order.pendingPayment(current);
      if (pending !== null) {
        // Asking again while pending returns the same payment and records nothing new.
        return { order: current, paymentId: pending, ...(await openAtGateway(current, pending)) };
      }
      const result = await change(orderId, actor, "requestPayment", decide, opening, current);
      return { order: result.order, paymentId, ...(await openAtGateway(result.order, paymentId)) };
    },

    async cancel(orderId: string, actor: Actor, reason: string | undefined) {
      const result = await change(orderId, actor, "cancel", (order) =>
        Order.decide(order, "cancel", ctx(actor), { reason: reason ?? null }),
      );
      await giveStockBack(result.previous, "CANCELLED");
      return result.order;
    },

    async requestRefund(orderId: string, actor: Actor, reason: string | undefined) {
      const result = await change(orderId, actor, "requestRefund", (order) =>
        Order.decide(order, "requestRefund", ctx(actor), { reason: reason ?? null }),
      );
      return result.order;
    },

    async setStatus(orderId: string, actor: Actor, status: StoreSettableStatus, reason: string | undefined) {
      const action = actionForTargetStatus(status);
      const args = action === "reject" ? { reason: reason ?? null } : reason ? { reason } : undefined;
      const result = await change(orderId, actor, action, (order) => Order.decide(order, action, ctx(actor), args as never));
      if (action === "reject") await giveStockBack(result.previous, "REJECTED");
      return result.order;
    },
  };

  /**
   * Order + items + audit + outbox (+ the reservation log row) in one statement. Order numbers
   * are random; on the rare clash the whole draft is made again with a new number, so the row,
   * the OrderCreated event and the audit entry all carry the number that was stored. Lines are
   * priced from the catalog kept in memory: when the statement finds one changed, the order is
   * priced again from a fresh read. With an Idempotency-Key, the same statement stores the
   * answer to the draft, and writes nothing (null) if an answer was already stored for the key.
   */
  async function persistNewOrder(
    first: NewOrder,
    redraw: (at: Date) => NewOrder,
    /** reads the lines' catalog entries afresh; throws if a product is gone from the store */
    reprice: () => Promise<void>,
    reservationLog: NewReservationLogRow | null | undefined,
    answer?: (draft: NewOrder) => IdempotentAnswer,
  ): Promise<NewOrder | null> {
    let draft = first;
    for (let attempt = 1; ; attempt++) {
      const outcome = await deps.orders.insert(draft, {
        catalogPriced: true,
        ...(answer ? { answer: answer(draft) } : {}),
        ...(reservationLog ? { reservationLog } : {}),
      });
      if (outcome === "PLACED") return draft;
      if (outcome === "KEY_ANSWERED") return null;
      if (attempt >= NEW_ORDER_TRIES) {
        throw new Error(`order ${draft.order.id} (${draft.order.orderNumber}) could not be written ${attempt} times: ${outcome}`);
      }
      // Priced from a cached entry that changed since: price it again, same id, same hold.
      if (outcome === "CATALOG_CHANGED") await reprice();
      draft = redraw(draft.order.createdAt);
    }
  }
}

export type OrderCommands = ReturnType<typeof orderCommands>;

