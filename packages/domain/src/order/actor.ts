import { z } from "zod";

export const ROLES = ["customer", "store", "admin", "system"] as const;

/** Who acts. The PG webhook and the workers act as "system". */
export type Role = (typeof ROLES)[number];

export const roleSchema = z.enum(ROLES);

export type Actor = { role: Role; userId: string | null; storeId: string | null };

export const SYSTEM_ACTOR: Actor = Object.freeze({ role: "system", userId: null, storeId: null });

/**
 * Whether the actor may see (and so act on) the order at all: a customer its own orders,
 * a store the orders of its storeId, admin and system everything.
 * A customer without userId or a store without storeId sees nothing.
 */
export function canView(actor: Actor, order: { userId: string; storeId: string }): boolean {
  switch (actor.role) {
    case "customer":
      return actor.userId !== null && actor.userId === order.userId;
    case "store":
      return actor.storeId !== null && actor.storeId === order.storeId;
    case "admin":
    case "system":
      return true;
  }
}
