import type { SaveOutcome, TransitionResult } from "@order-flow/domain";
import type { Database } from "./database.ts";
import { OrderWrite, transitionOutcome } from "./order-write.ts";

/**
 * Writes one aggregate transition as one statement: the conditional order update, its
 * audit entries and its events in the outbox, plus whatever `also` adds. Nothing is
 * written unless the conditional update wins, so a change never lands without its audit
 * and events.
 */
export async function saveTransition(
  db: Database,
  result: TransitionResult,
  also?: (write: OrderWrite) => void,
): Promise<SaveOutcome> {
  const write = new OrderWrite().transition(result.previous, result.order).audit(result.audit).events(result.events);
  also?.(write);
  return transitionOutcome(await write.run(db));
}
