import type { Handler } from "../handler.ts";

/**
 * Its audit entry and the reservation log row (RESERVED) were written in the statement that
 * raised the event, so nothing is left to do: no read, no write. The reservation sweep and the
 * rebuild read that table.
 */
export const handleStockReserved: Handler<"StockReserved"> = async (event, ctx) => {
  ctx.log.debug({ orderId: event.orderId, reservationId: event.reservationId }, "reservation logged with the order");
};
