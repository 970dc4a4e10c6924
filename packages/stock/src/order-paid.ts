import type { PrismaClient } from "@order-flow/db";
import { PAID_STATUSES } from "@order-flow/domain";

/** Order statuses at or after a completed payment: the sweep must leave their holds alone. */
export const PAID_ORDER_STATUSES = PAID_STATUSES;

export type IsOrderPaid = (orderIds: string[]) => Promise<Set<string>>;

/** The default paid-order check: reads p_order. */
export function paidOrdersFromDatabase(prisma: PrismaClient): IsOrderPaid {
  return async (orderIds) => {
    if (orderIds.length === 0) return new Set();
    const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id::text AS id FROM p_order
       WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)
         AND status IN (SELECT jsonb_array_elements_text($2::jsonb))`,
      JSON.stringify(orderIds),
      JSON.stringify(PAID_ORDER_STATUSES),
    );
    return new Set(rows.map((r) => r.id));
  };
}
