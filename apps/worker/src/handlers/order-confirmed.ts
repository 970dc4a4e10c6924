import { Order, fromOrderSnapshot, type OrderState } from "@order-flow/domain";
import { deterministicUuid } from "../deterministic-id.ts";
import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";
import { transitionOrder } from "../order-transition.ts";
import { systemContext } from "../system-context.ts";

/**
 * Notifies the store, then PREPARING with a STORE_NOTIFIED entry in the same statement. Decided
 * on the order as the event left it (an older event without it: on a read), written
 * conditionally on that version. A replay of the event may notify the store again (at least
 * once, as a crash before the commit may), but records and changes nothing.
 */
export const handleOrderConfirmed: Handler<"OrderConfirmed"> = async (event, ctx) => {
  const order = event.orderState ? fromOrderSnapshot(event.orderState) : await ctx.orders.find(event.orderId);
  const now = ctx.clock();
  const preparing = (o: OrderState) => Order.decide(o, "startPreparing", systemContext(now));
  if (!order || !preparing(order).applies) {
    await ctx.job.note(`${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"}, not ORDER_CONFIRMED: the store is not notified again`);
    return;
  }
  await ctx.storeNotifier.notify({
    orderId: order.id,
    orderNumber: order.orderNumber,
    storeId: order.storeId,
    totalAmount: order.totalAmount,
  });
  const done = await transitionOrder(ctx, order.id, preparing, {
    known: order,
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
  if (done.kind === "SKIPPED") {
    await ctx.job.note(`${orderLabel(order.id, done.order ?? order)} is ${done.order?.status ?? "missing"}, not ORDER_CONFIRMED: no STORE_NOTIFIED entry again`);
  }
};
