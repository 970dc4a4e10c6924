import { Order, fromOrderSnapshot, type OrderState } from "@order-flow/domain";
import { deterministicUuid } from "../deterministic-id.ts";
import type { Handler, HandlerContext } from "../handler.ts";
import { orderLabel } from "../order-label.ts";
import { transitionOrder } from "../order-transition.ts";
import { systemContext } from "../system-context.ts";

/**
 * PREPARING with a STORE_NOTIFIED entry in one statement, then the store is told. Decided on
 * the order as the event left it (first delivery only; a redelivered job or an older event
 * without it: on a read) and written conditionally on that version, so a store is never told
 * about an order that was cancelled meanwhile. Telling comes after the commit: a run that died
 * in between is redelivered, finds the order PREPARING and tells the store then (at least once).
 */
export const handleOrderConfirmed: Handler<"OrderConfirmed"> = async (event, ctx) => {
  const known = event.orderState && !ctx.job.redelivered ? fromOrderSnapshot(event.orderState) : undefined;
  const now = ctx.clock();
  const done = await transitionOrder(ctx, event.orderId, (o) => Order.decide(o, "startPreparing", systemContext(now)), {
    known,
    alongside: ({ order: o }) => ({
      alongside: [
        {
          kind: "audit",
          records: [
            {
              eventId: deterministicUuid(`store-notified:${event.eventId}`),
              orderId: o.id,
              eventType: "STORE_NOTIFIED",
              changeSummary: `Store ${o.storeId} was notified of order ${o.orderNumber}.`,
              actorUserId: null,
              recordedAt: now,
              metadata: { actorRole: "system", storeId: o.storeId, orderNumber: o.orderNumber },
            },
          ],
        },
      ],
    }),
  });
  if (done.kind === "APPLIED") {
    await tellStore(ctx, done.result.order);
    return;
  }
  const order = done.order;
  if (order && ctx.job.redelivered && Order.isPreparing(order)) {
    // This job's own write may have landed before its run died: the store may not know yet.
    await ctx.job.note(`${orderLabel(order.id, order)} is PREPARING already: the store is told again in case an earlier run died before telling it`);
    await tellStore(ctx, order);
    return;
  }
  await ctx.job.note(`${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"}, not ORDER_CONFIRMED: the store is not notified`);
};

async function tellStore(ctx: HandlerContext, order: OrderState): Promise<void> {
  await ctx.storeNotifier.notify({
    orderId: order.id,
    orderNumber: order.orderNumber,
    storeId: order.storeId,
    totalAmount: order.totalAmount,
  });
}
