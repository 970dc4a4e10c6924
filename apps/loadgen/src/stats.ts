// Counters of one load run: orders by flow and status, errors, retries and latencies.
import type { Flow } from "./options.ts";

export type OrderLine = { productId: string; quantity: number };

/** One order the loadgen created, and what it expects the order to settle into. */
export type TrackedOrder = {
  id: string;
  flow: Flow;
  /** e.g. "before-payment" / "after-payment" for cancel, "lost-race" when the system was faster */
  variant: string;
  customerId: string;
  customerToken: string;
  storeId: string;
  items: OrderLine[];
  expiresAt: number;
  status: string;
  /** statuses the order may settle into given what the flow did */
  expect: ReadonlySet<string>;
  /** its cancel found it paid: settled only once the refund is recorded (refundId) */
  needsRefundId: boolean;
  refundId: string | null;
  /** the PG's PAID webhook was answered 200 before expiresAt (the order must not time out) */
  paidInTime: boolean;
  /** the flow stopped on an unexpected answer */
  broken: boolean;
};

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export class Stats {
  readonly startedAt = Date.now();
  readonly orders = new Map<string, TrackedOrder>();
  /** flows started (an arrival whose create failed counts here but has no order) */
  readonly started = new Map<Flow, number>();
  readonly errors = new Map<string, number>();
  readonly retries = new Map<string, number>();
  readonly outcomes = new Map<string, number>();
  readonly createLatencies: number[] = [];
  /** every answered request's latency, by route */
  readonly routeLatencies = new Map<string, number[]>();
  /** POST /orders whose outcome is unknown (transport failure after retries) */
  ambiguousCreates = 0;
  inFlight = 0;
  /** arrivals that had to wait for an in-flight slot */
  lateStarts = 0;
  arrivals = 0;
  finishedAt: number | null = null;

  private static bump<K>(map: Map<K, number>, key: K, by = 1): void {
    map.set(key, (map.get(key) ?? 0) + by);
  }

  error(what: string): void {
    Stats.bump(this.errors, what);
  }
  retry(what: string): void {
    Stats.bump(this.retries, what);
  }
  outcome(what: string): void {
    Stats.bump(this.outcomes, what);
  }
  flowStarted(flow: Flow): void {
    Stats.bump(this.started, flow);
  }

  totalErrors(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  byStatus(): Map<string, number> {
    const out = new Map<string, number>();
    for (const o of this.orders.values()) Stats.bump(out, o.status);
    return out;
  }

  byFlowAndStatus(): Map<Flow, Map<string, number>> {
    const out = new Map<Flow, Map<string, number>>();
    for (const o of this.orders.values()) {
      let m = out.get(o.flow);
      if (!m) out.set(o.flow, (m = new Map()));
      Stats.bump(m, o.status);
    }
    return out;
  }

  routeLatency(): { route: string; p50: number; p99: number; count: number }[] {
    return [...this.routeLatencies].map(([route, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { route, p50: percentile(sorted, 50), p99: percentile(sorted, 99), count: sorted.length };
    });
  }

  createLatency(): { p50: number; p99: number; max: number; count: number } {
    const sorted = [...this.createLatencies].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
      count: sorted.length,
    };
  }
}
