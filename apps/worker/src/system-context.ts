import { randomUUID } from "node:crypto";
import { SYSTEM_ACTOR, type ActionContext } from "@order-flow/domain";

/** Workers act as the system. */
export function systemContext(now: Date): ActionContext {
  return { actor: SYSTEM_ACTOR, now, newId: randomUUID };
}
