import type { TransitionResult } from "@order-flow/domain";
import type { Db } from "./client.ts";
import { auditRepository } from "./audit-repository.ts";
import { orderRepository, type TransitionOutcome } from "./order-repository.ts";
import { outboxRepository } from "./outbox-repository.ts";

/**
 * Writes one aggregate transition in the caller's transaction: the conditional order
 * update, its audit entries and its events in the outbox. Nothing is written unless the
 * conditional update wins, so a change never lands without its audit and events.
 */
export async function saveTransition(db: Db, result: TransitionResult): Promise<TransitionOutcome> {
  const outcome = await orderRepository.transition(db, result.previous, result.order);
  if (outcome !== "APPLIED") return outcome;
  await auditRepository.append(db, result.audit);
  await outboxRepository.add(db, result.events);
  return outcome;
}
