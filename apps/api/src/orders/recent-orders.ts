import type { OrderState } from "@order-flow/domain";

/**
 * Orders this process placed lately, as it wrote them: the customer's next step (POST
 * /orders/:id/payment) is decided on that copy and written conditionally on its version, so it
 * needs no read. A copy is used once and never trusted for a refusal: when the order moved
 * meanwhile (another process, a timeout) the conditional write loses and the order is read.
 */
export class RecentOrders {
  readonly #orders = new Map<string, { order: OrderState; until: number }>();

  constructor(
    private readonly options: { maxEntries: number; ttlMs: number; now?: () => number } = { maxEntries: 10_000, ttlMs: 15 * 60_000 },
  ) {}

  remember(order: OrderState): void {
    const now = this.options.now?.() ?? Date.now();
    this.#orders.delete(order.id);
    this.#orders.set(order.id, { order, until: now + this.options.ttlMs });
    // Oldest first (insertion order): bounded however many orders a process places.
    for (const id of this.#orders.keys()) {
      if (this.#orders.size <= this.options.maxEntries) break;
      this.#orders.delete(id);
    }
  }

  /** The copy, once (it is forgotten as it is taken); undefined when none is fresh. */
  take(orderId: string): OrderState | undefined {
    const entry = this.#orders.get(orderId);
    if (!entry) return undefined;
    this.#orders.delete(orderId);
    return entry.until > (this.options.now?.() ?? Date.now()) ? entry.order : undefined;
  }
}
