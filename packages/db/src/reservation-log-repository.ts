import type { Db } from "./client.ts";

export type NewReservationLogRow = {
  id: string;
  reservationId: string;
  orderId: string;
  storeId: string;
  products: { productId: string; quantity: number }[];
  expiresAt: Date;
  createdAt: Date;
};

export const reservationLogRepository = {
  /** The durable RESERVED copy of a Redis hold, written in the caller's transaction. */
  async insertReserved(db: Db, row: NewReservationLogRow): Promise<void> {
    await db.stockReservationLog.create({
      data: { ...row, status: "RESERVED", updatedAt: row.createdAt },
    });
  },
};
