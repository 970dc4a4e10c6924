import { captureRepository, paymentRepository } from "@order-flow/db";
import { orderLabel } from "./order-label.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * The capture that paid the order: the one its payment row describes. Refunding a paid order
 * (cancel, rejection, refund request) gives back that capture, what it took; the order's other
 * captures were refunded on their own. Throws, naming the order, when there is none.
 */
export async function keptCapture(
  deps: Pick<WorkerDeps, "db">,
  order: { id: string; orderNumber?: string },
  paymentId: string,
): Promise<{ captureId: string; amount: number }> {
  const payment = await paymentRepository.findById(deps.db, paymentId);
  const label = orderLabel(order.id, order.orderNumber !== undefined ? { orderNumber: order.orderNumber } : null);
  if (!payment || payment.orderId !== order.id || !payment.pgTransactionId) {
    throw new Error(`${label}: payment ${paymentId} has no capture to refund`);
  }
  const capture = await captureRepository.findById(deps.db, payment.pgTransactionId);
  return { captureId: payment.pgTransactionId, amount: capture?.amount ?? payment.amount };
}
