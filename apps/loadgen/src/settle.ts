// --check, part one: poll every order until it rests in a status its flow allows.
import type { ApiClient } from "./api-client.ts";
import { REST_STATUSES } from "./statuses.ts";
import type { TrackedOrder } from "./stats.ts";

export type Unsettled = { id: string; flow: string; status: string; expected: string[]; why: string };

export type SettleResult = {
  settled: number;
  unsettled: Unsettled[];
  /** rested in a status other than the flow expected (e.g. a slow payment timed out) */
  unexpected: Unsettled[];
  elapsedMs: number;
};

const POLL_CONCURRENCY = 16;
const ROUND_PAUSE_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isSettled(order: TrackedOrder): boolean {
  if (!REST_STATUSES.has(order.status)) return false;
  // A cancelled paid order is done once its refund is on record.
  if (order.needsRefundId && order.status === "ORDER_CANCELLED" && !order.refundId) return false;
  return true;
}

async function refresh(api: ApiClient, order: TrackedOrder): Promise<void> {
  try {
    const res = await api.request("GET", `/orders/${order.id}`, {
      token: order.customerToken,
      route: "GET /orders/:id (settle)",
      idempotent: true,
    });
    if (res.status === 200) {
      order.status = res.body.status;
      order.refundId = res.body.refundId ?? null;
    }
  } catch {
    // Next round asks again.
  }
}

export async function waitUntilSettled(
  api: ApiClient,
  orders: Iterable<TrackedOrder>,
  options: { timeoutMs: number; onRound?: (pending: number) => void },
): Promise<SettleResult> {
  const started = Date.now();
  const all = [...orders];
  let pending = all.filter((o) => !isSettled(o));
  while (pending.length > 0 && Date.now() - started < options.timeoutMs) {
    const queue = [...pending];
    await Promise.all(
      Array.from({ length: Math.min(POLL_CONCURRENCY, queue.length) }, async () => {
        for (let o = queue.pop(); o; o = queue.pop()) await refresh(api, o);
      }),
    );
    pending = pending.filter((o) => !isSettled(o));
    options.onRound?.(pending.length);
    if (pending.length > 0) await sleep(ROUND_PAUSE_MS);
  }
  // One last look at everything, so the final table shows where each order rests now.
  const queue = [...all];
  await Promise.all(
    Array.from({ length: Math.min(POLL_CONCURRENCY, queue.length) }, async () => {
      for (let o = queue.pop(); o; o = queue.pop()) await refresh(api, o);
    }),
  );
  const describe = (o: TrackedOrder, why: string): Unsettled => ({
    id: o.id,
    flow: o.variant ? `${o.flow}/${o.variant}` : o.flow,
    status: o.status,
    expected: [...o.expect],
    why,
  });
  const unsettled: Unsettled[] = [];
  const unexpected: Unsettled[] = [];
  for (const o of all) {
    if (!isSettled(o)) {
      unsettled.push(describe(o, o.needsRefundId && o.status === "ORDER_CANCELLED" ? "refund not recorded" : "not at rest"));
    } else if (!o.expect.has(o.status)) {
      unexpected.push(describe(o, "rests in a status its flow did not aim for"));
    }
  }
  return { settled: all.length - unsettled.length, unsettled, unexpected, elapsedMs: Date.now() - started };
}
