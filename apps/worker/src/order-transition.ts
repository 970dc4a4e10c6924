import { orderRepository, saveTransition, type OrderWrite } from "@order-flow/db";
import type { OrderState, TransitionResult } from "@order-flow/domain";
import type { WorkerDeps } from "./worker-deps.ts";

/** What to write for the order as just read; null when nothing applies to it (any more). */
export type Decision = {
  result: TransitionResult;
  /** more writes in the same statement, made only when the transition wins */
  alsoWrite?: (write: OrderWrite) => void;
} | null;

export type TransitionAttempt =
  | { kind: "APPLIED"; result: TransitionResult }
  | { kind: "SKIPPED"; order: OrderState | null };

/**
 * Re-reads the order, asks `decide`, and commits with the conditional write. A lost race
 * (another worker, the API, a redelivered job) re-reads and decides again, so the handler
 * acts on the state that actually won.
 */
export async function transitionOrder(
  deps: Pick<WorkerDeps, "prisma"> & Partial<Pick<WorkerDeps, "metrics" | "log">>,
  orderId: string,
  decide: (order: OrderState) => Decision,
  maxTries = 3,
  /** the order as the handler just read it: saves the first re-read (the write is conditional anyway) */
  justRead?: OrderState,
): Promise<TransitionAttempt> {
  for (let attempt = 1; attempt <= maxTries; attempt++) {
    const order = attempt === 1 && justRead ? justRead : await orderRepository.findById(deps.prisma, orderId);
    if (!order) return { kind: "SKIPPED", order: null };
    const decision = decide(order);
    if (!decision) return { kind: "SKIPPED", order };
    const outcome = await saveTransition(deps.prisma, decision.result, decision.alsoWrite);
    if (outcome === "APPLIED") {
      const { previous, order: next } = decision.result;
      deps.metrics?.orderTransitions.inc({ from: previous.status, to: next.status });
      // Debug in the process log; always in the job's own log (JobJournal).
      deps.log?.debug({ orderId, from: previous.status, to: next.status }, `order ${next.orderNumber} moved ${previous.status} → ${next.status}`);
      return { kind: "APPLIED", result: decision.result };
    }
    if (outcome === "NOT_FOUND") return { kind: "SKIPPED", order: null };
  }
  throw new Error(`order ${orderId}: lost the race ${maxTries} times in a row; retrying later`);
}
