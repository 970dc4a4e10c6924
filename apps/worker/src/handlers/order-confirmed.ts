import { orderRepository } from "@order-flow/db";
import { Order } from "@order-flow/domain";
import { deterministicUuid } from "../deterministic-id.ts";
import type { Handler } from "../handler.ts";
import { orderLabel } from "../order-label.ts";
import { transitionOrder } from "../order-transition.ts";
import { systemContext } from "../system-context.ts";

/** Notifies the store, then PREPARING with a STORE_NOTIFIED entry in the same transaction. */
export const handleOrderConfirmed: Handler<"OrderConfirmed"> = async (event, ctx) => {
  const order = await orderRepository.findById(ctx.prisma, event.orderId);
  if (order?.status !== "ORDER_CONFIRMED") {
    await ctx.job.note(`${orderLabel(event.orderId, order)} is ${order?.status ?? "missing"}, not ORDER_CONFIRMED: the store is not notified again`);
    return;
  }
  await ctx.storeNotifier.notify({
    orderId: order.id,
    orderNumber: order.orderNumber,
    storeId: order.storeId,
    totalAmount: order.totalAmount,
  });
  const now = ctx.clock();
  await transitionOrder(ctx, order.id, (o) =>
    o.status !== "ORDER_CONFIRMED"
      ? null
      : {
          result: Order.startPreparing(o, systemContext(now)),
          alsoWrite: (write) =>
            write.audit([
              {
                eventId: deterministicUuid(`store-notified:${event.eventId}`),
                orderId: o.id,
                eventType: "STORE_NOTIFIED",
                changeSummary: `Store ${o.storeId} was notified of order ${o.orderNumber}.`,
                actorUserId: null,
                recordedAt: now,
                metadata: { actorRole: "system", storeId: o.storeId, orderNumber: o.orderNumber },
              },
            ]),
        },
    undefined,
    order,
  );
};
