import type { Db } from "./client.ts";

export type ReservationLogStatus = "RESERVED" | "CONFIRMED" | "RELEASED" | "EXPIRED";

export const reservationLogReader = {
  /** The durable status of a reservation (p_stock_reservation_log), or null when no row exists. */
  async findStatus(db: Db, reservationId: string): Promise<ReservationLogStatus | null> {
    const row = await db.stockReservationLog.findUnique({
      where: { reservationId },
      select: { status: true },
    });
    return row ? (row.status as ReservationLogStatus) : null;
  },
};
