// Random sequences of captures (right, short, over, late, repeated, of an older payment),
// cancels, rejections and refunds through the sandbox PG, with the sandbox's ledger checked
// after each step settles: every capture not kept for its order has exactly one refund of its
// own amount; the kept one is refunded only once its order is cancelled, rejected or refunded;
// no refund id is shared.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";

type Step =
  | { kind: "capture"; amount: "right" | "short" | "over"; payment: "current" | "oldest" }
  | { kind: "payAgain" }
  | { kind: "cancel" }
  | { kind: "reject" }
  | { kind: "refund" };

type Capture = { pgTransactionId: string; paymentId: string; amount: number; kept: boolean };
type LedgerRefund = { refundId: string; pgTransactionId: string; amount: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("capture" as const), amount: fc.constantFrom("right" as const, "short" as const, "over" as const), payment: fc.constantFrom("current" as const, "oldest" as const) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "payAgain" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reject" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "refund" as const }) },
);

/** Statuses in which the kept capture has been given back. */
const MONEY_BACK = new Set(["ORDER_CANCELLED", "STORE_REJECTED", "REFUND_COMPLETED"]);

let h: Harness;
const seenRefundIds = new Map<string, string>();

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

async function orderOf(id: string) {
  return (await h.call("GET", `/orders/${id}`, { token: h.tokens.admin })).body as {
    status: string;
    paymentId: string | null;
    refundId: string | null;
    totalAmount: number;
  };
}

/** One order driven through the steps; the ledger is checked after each. */
async function run(steps: Step[]): Promise<void> {
  const productId = await h.product({ price: 10000, onHand: 10 });
  const placed = await h.placeOrder([{ productId, quantity: 2 }]);
  expect(placed.status).toBe(201);
  const orderId = placed.body.id as string;
  const total = placed.body.totalAmount as number;
  const payments: string[] = [];
  const captured = new Set<string>();
  const captures: Capture[] = [];

  const requestPayment = async () => {
    const res = await h.call("POST", `/orders/${orderId}/payment`, { token: h.tokens.customer });
    if (res.status === 202 && !payments.includes(res.body.paymentId)) payments.push(res.body.paymentId);
  };

  for (const step of steps) {
    const before = await orderOf(orderId);
    switch (step.kind) {
      case "capture": {
        if (payments.length === 0) await requestPayment();
        const paymentId = step.payment === "current" ? payments.at(-1) : payments[0];
        if (!paymentId) break;
        const amount = step.amount === "right" ? total : step.amount === "short" ? 1 : total + 1;
        const now = await orderOf(orderId);
        // The webhook's rules (API.md): only the first capture of the order's pending payment,
        // of the right amount, pays the order.
        const kept = now.status === "PAYMENT_PENDING" && now.paymentId === paymentId && amount === total && !captured.has(paymentId);
        const res = await h.call("POST", `/sandbox/payments/${paymentId}/complete`, { token: h.tokens.customer, body: { outcome: "PAID", amount } });
        expect(res.status).toBe(202);
        expect(res.body.webhookStatus).toBe(200);
        captured.add(paymentId);
        captures.push({ pgTransactionId: res.body.pgTransactionId, paymentId, amount, kept });
        if (kept) await h.waitForOrder(orderId, (o) => o.status === "PREPARING");
        break;
      }
      case "payAgain":
        await requestPayment();
        break;
      case "cancel": {
        const res = await h.call("POST", `/orders/${orderId}/cancel`, { token: h.tokens.customer, body: {} });
        if (res.status === 200 && captures.some((c) => c.kept)) await h.waitForOrder(orderId, (o) => o.refundId !== null);
        break;
      }
      case "reject": {
        if (before.status !== "PREPARING") break;
        const res = await h.call("POST", `/orders/${orderId}/status`, { token: h.tokens.store, body: { status: "STORE_REJECTED" } });
        expect(res.status).toBe(200);
        await h.waitForOrder(orderId, (o) => o.refundId !== null);
        break;
      }
      case "refund": {
        if (before.status !== "PREPARING") break;
        for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
          expect((await h.call("POST", `/orders/${orderId}/status`, { token: h.tokens.store, body: { status } })).status).toBe(200);
        }
        expect((await h.call("POST", `/orders/${orderId}/refund`, { token: h.tokens.customer, body: {} })).status).toBe(202);
        await h.waitForOrder(orderId, (o) => o.status === "REFUND_COMPLETED");
        break;
      }
    }
    await checkLedger(orderId, payments, captures);
  }
}

async function checkLedger(orderId: string, payments: string[], captures: Capture[]): Promise<void> {
  const order = await orderOf(orderId);
  const owed = captures.filter((c) => !c.kept || MONEY_BACK.has(order.status));
  // Refunds are made by the worker: wait until as many as owed are on the books, then compare.
  const deadline = Date.now() + 20_000;
  let books: { captures: { pgTransactionId: string; amount: number }[]; refunds: LedgerRefund[] };
  for (;;) {
    books = { captures: [], refunds: [] };
    for (const paymentId of payments) {
      const res = await h.call("GET", `/sandbox/payments/${paymentId}`, { token: h.tokens.customer });
      expect(res.status).toBe(200);
      books.captures.push(...res.body.captures);
      books.refunds.push(...res.body.refunds);
    }
    if (books.refunds.length >= owed.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const byCapture = (list: { pgTransactionId: string; amount: number }[]) =>
    list.map(({ pgTransactionId, amount }) => ({ pgTransactionId, amount })).sort((a, b) => a.pgTransactionId.localeCompare(b.pgTransactionId));
  expect(byCapture(books.captures)).toEqual(byCapture(captures));
  // Exactly one refund per owed capture, of its own amount; none for the kept one while the order keeps it.
  expect(byCapture(books.refunds)).toEqual(byCapture(owed));
  const kept = captures.find((c) => c.kept);
  if (kept && MONEY_BACK.has(order.status)) {
    expect(books.refunds.find((r) => r.pgTransactionId === kept.pgTransactionId)?.refundId).toBe(order.refundId);
  }
  for (const refund of books.refunds) {
    const owner = seenRefundIds.get(refund.refundId);
    if (owner !== undefined) expect(owner).toBe(refund.pgTransactionId);
    seenRefundIds.set(refund.refundId, refund.pgTransactionId);
  }
}

describe("the sandbox ledger under random captures, cancels and refunds", () => {
  it(
    "refunds every capture not kept exactly once, what it took; the kept one only when the order gives the money back",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 6 }), async (steps) => {
          await run(steps);
        }),
        // Modest: each run is a real order through the API, the sandbox PG and a worker.
        { numRuns: 20, endOnFailure: true },
      );
      expect(seenRefundIds.size).toBeGreaterThan(0);
    },
    300_000,
  );
});
