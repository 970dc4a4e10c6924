import type { PrismaClient } from "./client.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

export type ReservationLogStatus = "RESERVED" | "CONFIRMED" | "RELEASED" | "EXPIRED";

export const reservationLogReader = {
  /** The durable status of a reservation (p_stock_reservation_log), or null when no row exists. */
  async findStatus(prisma: PrismaClient, reservationId: string): Promise<ReservationLogStatus | null> {
    const params = new SqlParams();
    const rows = await runStatement<{ status: ReservationLogStatus }>(
      prisma.$pool,
      `SELECT status FROM p_stock_reservation_log WHERE reservation_id = ${params.add(reservationId)}`,
      params,
    );
    return rows[0]?.status ?? null;
  },
};
