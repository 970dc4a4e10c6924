import type { OrderItem } from "./order-item.ts";
import type { OrderStatus } from "./order-status.ts";

/** The aggregate's state; the persistence layer maps p_order (+ items) rows to and from it. */
export type OrderState = {
  id: string;
  orderNumber: string;
  userId: string;
  storeId: string;
  status: OrderStatus;
  items: OrderItem[];
  totalAmount: number;
  reservationId: string | null;
  paymentId: string | null;
  /** payment deadline */
  expiresAt: Date;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  failureReason: string | null;
  refundId: string | null;
  /** optimistic lock: every transition writes WHERE version = previous.version */
  version: number;
  createdAt: Date;
  updatedAt: Date;
};
