import {
  changeOrder,
  type Decision,
  type OrderState,
  type Refusal,
  type SaveOptions,
  type TransitionResult,
} from "@order-flow/domain";
import { orderLabel } from "./order-label.ts";
import type { WorkerDeps } from "./worker-deps.ts";

export type TransitionAttempt =
  | { kind: "APPLIED"; result: TransitionResult }
  /** nothing applies to the order as it stands (null: there is no such order), and why */
  | { kind: "SKIPPED"; order: OrderState | null; why?: Refusal };

export type TransitionOptions = {
  /** writes in the same statement, made only when the transition wins */
  alongside?: (result: TransitionResult) => SaveOptions;
  /** the order as the handler holds it (from its event, or just read): decided on without a read */
  known?: OrderState | undefined;
  maxTries?: number;
};

/**
 * Asks the aggregate about the order and commits with the conditional write (OrderStore +
 * changeOrder). A lost race (another worker, the API, a redelivered job) re-reads and decides
 * again, so the handler acts on the state that actually won.
 */
export async function transitionOrder(
  deps: Pick<WorkerDeps, "orders"> & Partial<Pick<WorkerDeps, "metrics" | "log">>,
  orderId: string,
  decide: (order: OrderState) => Decision,
  options: TransitionOptions = {},
): Promise<TransitionAttempt> {
  const outcome = await changeOrder(deps.orders, {
    orderId,
    known: options.known,
    decide,
    ...(options.alongside ? { alongside: options.alongside } : {}),
    ...(options.maxTries !== undefined ? { maxTries: options.maxTries } : {}),
  });
  switch (outcome.kind) {
    case "APPLIED": {
      const { previous, order: next } = outcome.result;
      deps.metrics?.orderTransitions.inc({ from: previous.status, to: next.status });
      // Debug in the process log; always in the job's own log (JobJournal).
      deps.log?.debug({ orderId, from: previous.status, to: next.status }, `order ${next.orderNumber} moved ${previous.status} → ${next.status}`);
      return { kind: "APPLIED", result: outcome.result };
    }
    case "REFUSED":
      return { kind: "SKIPPED", order: outcome.order, why: outcome.why };
    case "NOT_FOUND":
    case "REPLAYED":
      return { kind: "SKIPPED", order: null };
    case "CONTENDED":
      throw new Error(`${orderLabel(orderId, outcome.order)}: lost the race ${outcome.tries} times in a row; retrying later`);
  }
}
