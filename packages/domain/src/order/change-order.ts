import type { OrderStore, SaveOptions } from "../ports/order-store.ts";
import type { OrderState } from "./order-state.ts";
import type { TransitionResult } from "./transition-result.ts";

/** What to write for the order as it stands (with what rides along), or why nothing applies. */
export type ChangeStep<Why> =
  | { applies: true; result: TransitionResult; save?: SaveOptions }
  | { applies: false; why: Why };

export type ChangeOutcome<Why> =
  | { kind: "APPLIED"; result: TransitionResult }
  /** nothing applies to the order as it stands (read from the store, never a stale copy) */
  | { kind: "REFUSED"; order: OrderState; why: Why }
  | { kind: "NOT_FOUND" }
  /** the webhook's record-once gate: the event was recorded before */
  | { kind: "REPLAYED"; order: OrderState }
  /** every try lost the race to another writer */
  | { kind: "CONTENDED"; order: OrderState; tries: number };

export type ChangeRequest<Why> = {
  orderId: string;
  decide: (order: OrderState) => ChangeStep<Why>;
  /** the order as the caller already holds it (from an event, or just read): decided on without a read */
  known?: OrderState | undefined;
  /** `known` was just read from the store, so a refusal on it stands without another read */
  knownIsFresh?: boolean;
  /** writes that ride in the statement of a transition that applies (unless its step names its own `save`) */
  alongside?: (result: TransitionResult) => SaveOptions;
  /** how to read the order (default: store.find); null when it is not there for this caller */
  read?: () => Promise<OrderState | null>;
  maxTries?: number;
};

const DEFAULT_TRIES = 4;

/**
 * The read-decide-write loop: decide on the order, write conditionally on the version decided
 * on, and when another writer got there first, read again and decide again, so the outcome
 * reflects the state that won. A copy the caller held is trusted only for the first decision:
 * a refusal or a lost race always reads afresh.
 */
export async function changeOrder<Why>(store: OrderStore, request: ChangeRequest<Why>): Promise<ChangeOutcome<Why>> {
  const read = request.read ?? (() => store.find(request.orderId));
  const maxTries = request.maxTries ?? DEFAULT_TRIES;
  let order: OrderState | null = request.known ?? null;
  let fresh = order === null || request.knownIsFresh === true;
  let tries = 1;
  for (;;) {
    if (order === null) {
      order = await read();
      fresh = true;
      if (order === null) return { kind: "NOT_FOUND" };
    }
    const step = request.decide(order);
    if (!step.applies) {
      if (fresh) return { kind: "REFUSED", order, why: step.why };
      // Refused on a copy the caller held: the stored order may say otherwise. Not a lost try.
      order = null;
      continue;
    }
    const outcome = await store.save(step.result, step.save ?? request.alongside?.(step.result));
    if (outcome === "APPLIED") return { kind: "APPLIED", result: step.result };
    if (outcome === "NOT_FOUND") return { kind: "NOT_FOUND" };
    if (outcome === "REPLAYED") return { kind: "REPLAYED", order };
    if (tries >= maxTries) return { kind: "CONTENDED", order, tries };
    tries++;
    order = null;
  }
}
