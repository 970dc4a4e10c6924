import type { Actor } from "@order-flow/domain";
import type { Logger } from "@order-flow/config";
import type { IdempotencyGate } from "./middleware/idempotency-gate.ts";

export type AppEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    actor: Actor;
    /** on routes that opt in to the Idempotency-Key protocol */
    idempotency: IdempotencyGate;
  };
};
