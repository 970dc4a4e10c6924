import { reservationLogReader } from "@order-flow/db";
import type { Handler } from "../handler.ts";

/**
 * The stock service writes the reservation log row before the order commits, so there is
 * nothing to do but check it; a missing row is logged (the reservation sweep and the rebuild
 * both read that table).
 */
export const handleStockReserved: Handler<"StockReserved"> = async (event, ctx) => {
  const status = await reservationLogReader.findStatus(ctx.prisma, event.reservationId);
  if (status === null) {
    ctx.metrics.inc("reservation_log_missing_total");
    ctx.log.error({ orderId: event.orderId, reservationId: event.reservationId }, "reservation log row missing");
  }
};
