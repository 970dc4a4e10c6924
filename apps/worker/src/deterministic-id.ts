import { createHash } from "node:crypto";

/**
 * A UUID (version 5 layout) derived from a name: a retried step that writes "the same" audit
 * entry or job computes the same id, and the unique index turns the repeat into a no-op.
 */
export function deterministicUuid(name: string): string {
  const hex = createHash("sha1").update(`order-flow:${name}`).digest("hex").slice(0, 32).split("");
  hex[12] = "5";
  hex[16] = ((parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The OrderTimeout event id of an order's deadline: the delayed job and the sweep share it. */
export function orderTimeoutEventId(orderId: string, expiresAt: Date): string {
  return deterministicUuid(`order-timeout:${orderId}:${expiresAt.toISOString()}`);
}
