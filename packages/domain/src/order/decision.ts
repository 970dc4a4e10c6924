import type { ForbiddenAction, InvalidStateTransition, PaymentMismatch } from "../errors.ts";
import type { TransitionResult } from "./transition-result.ts";

/** Why an action does not apply to an order as it stands. */
export type Refusal = ForbiddenAction | InvalidStateTransition | PaymentMismatch;

/** The aggregate's answer to "may this action apply to this state": the transition, or why not. */
export type Decision = { applies: true; result: TransitionResult } | { applies: false; why: Refusal };
