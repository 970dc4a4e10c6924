import type { IdempotentAnswer } from "@order-flow/domain";

/**
 * This request's claim on its Idempotency-Key. The route stores its answer with the work it
 * answers for, in one statement (the order store's `answer`: these fields and the response).
 */
export type HeldIdempotencyKey = Omit<IdempotentAnswer, "status" | "body">;

export type IdempotencyStart =
  /** no Idempotency-Key: nothing to do */
  | { kind: "NONE" }
  /** the key is this request's: run, and store the answer */
  | { kind: "CLAIMED"; claim: HeldIdempotencyKey }
  /** the key was answered already: send this */
  | { kind: "REPLAY"; response: Response };

/** What the idempotency middleware hands the route (c.get("idempotency")). */
export type IdempotencyGate = {
  /**
   * Claims the key, waiting (bounded) for a twin still running; 422 IDEMPOTENCY_KEY_REUSED or
   * 409 IDEMPOTENCY_KEY_IN_USE. The route calls it once its own checks passed (API.md's order:
   * shape, 404, role, then the key, then the catalog).
   */
  start(): Promise<IdempotencyStart>;
  /** The route's statement stored the answer (or found one stored): nothing is left to do. */
  stored(): void;
  /** The route's statement found the key answered by a twin: that answer, for this request too. */
  replayStored(): Promise<Response>;
};
