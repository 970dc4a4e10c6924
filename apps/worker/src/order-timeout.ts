import { Order, SYSTEM_ACTOR } from "@order-flow/domain";
import { transitionOrder } from "./order-transition.ts";
import { systemContext } from "./system-context.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export type TimeoutOutcome =
  | { kind: "TIMED_OUT" }
  | { kind: "ALREADY_TIMED_OUT" }
  | { kind: "NOT_DUE"; expiresAt: Date }
  | { kind: "NOT_APPLICABLE"; order: { status: string; orderNumber: string } | null };

/**
 * The payment timeout, shared by the delayed job and the sweep: PAYMENT_TIMEOUT (audit id =
 * the OrderTimeout event id, so both paths write one entry) committed first, then the hold
 * released. A paid or cancelled order is left alone, with no entry.
 */
export async function settleOrderTimeout(
  deps: WorkerDeps,
  orderId: string,
  eventId: string,
  now: Date,
): Promise<TimeoutOutcome> {
  const attempt = await transitionOrder(deps, orderId, (order) => Order.decide(order, "timeout", systemContext(now), { eventId }));
  if (attempt.kind === "APPLIED") {
    deps.metrics.inc("orders_timed_out_total");
    deps.metrics.timeoutLateness.observe(Math.max(0, now.getTime() - attempt.result.previous.expiresAt.getTime()) / 1000);
    await releaseHold(deps, attempt.result.order.reservationId);
    return { kind: "TIMED_OUT" };
  }
  const { order } = attempt;
  if (order && Order.hasTimedOut(order)) {
    // A previous run may have died between the commit and the release: release is idempotent.
    await releaseHold(deps, order.reservationId);
    return { kind: "ALREADY_TIMED_OUT" };
  }
  // Waiting for payment still, but its deadline has not come (a job fired early).
  if (order && Order.can(order, SYSTEM_ACTOR, "timeout")) return { kind: "NOT_DUE", expiresAt: order.expiresAt };
  return { kind: "NOT_APPLICABLE", order };
}

async function releaseHold(deps: WorkerDeps, reservationId: string | null): Promise<void> {
  if (reservationId) await deps.stock.release(reservationId, "TIMEOUT");
}
