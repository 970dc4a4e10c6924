// Money paths through the API, the sandbox PG and a whole worker: every refund gives back
// exactly what its capture took, once, with a refund of its own, as the sandbox's ledger shows.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./support/harness.ts";
import { sendWebhook } from "./support/webhook.ts";

type Ledger = {
  paymentId: string;
  orderId: string;
  amount: number;
  captures: { pgTransactionId: string; amount: number }[];
  refunds: { refundId: string; pgTransactionId: string; amount: number }[];
};
type AuditEntry = { eventType: string; changeSummary: string; actorUserId: string | null; metadata: Record<string, unknown> };

async function placed(h: Harness, price = 10000, quantity = 2) {
  const productId = await h.product({ price, onHand: 10 });
  const res = await h.placeOrder([{ productId, quantity }]);
  expect(res.status).toBe(201);
  return res.body as { id: string; orderNumber: string; totalAmount: number };
}

async function requestPayment(h: Harness, orderId: string): Promise<string> {
  const res = await h.call("POST", `/orders/${orderId}/payment`, { token: h.tokens.customer });
  expect(res.status).toBe(202);
  return res.body.paymentId as string;
}

async function capture(h: Harness, paymentId: string, amount?: number): Promise<string> {
  const res = await h.call("POST", `/sandbox/payments/${paymentId}/complete`, {
    token: h.tokens.customer,
    body: { outcome: "PAID", ...(amount !== undefined ? { amount } : {}) },
  });
  expect(res.status).toBe(202);
  expect(res.body.webhookStatus).toBe(200);
  return res.body.pgTransactionId as string;
}

async function ledgerOf(h: Harness, paymentId: string, token = h.tokens.admin) {
  return h.call("GET", `/sandbox/payments/${paymentId}`, { token });
}

/** Polls the ledger until `done` holds (refunds are made by the worker). */
async function waitForLedger(h: Harness, paymentId: string, done: (l: Ledger) => boolean): Promise<Ledger> {
  const deadline = Date.now() + 20_000;
  let last: Ledger | undefined;
  while (Date.now() < deadline) {
    last = (await ledgerOf(h, paymentId)).body as Ledger;
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`ledger of ${paymentId} did not settle: ${JSON.stringify(last)}`);
}

async function auditOf(h: Harness, orderId: string): Promise<AuditEntry[]> {
  return (await h.call("GET", `/orders/${orderId}/audit`, { token: h.tokens.admin })).body as AuditEntry[];
}

/** Polls the audit trail until `done` holds (the worker audits a refund after the PG made it). */
async function waitForAudit(h: Harness, orderId: string, done: (entries: AuditEntry[]) => boolean): Promise<AuditEntry[]> {
  const deadline = Date.now() + 20_000;
  let last: AuditEntry[] = [];
  while (Date.now() < deadline) {
    last = await auditOf(h, orderId);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  return last;
}

async function deliver(h: Harness, orderId: string) {
  for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
    expect((await h.call("POST", `/orders/${orderId}/status`, { token: h.tokens.store, body: { status } })).status).toBe(200);
  }
}

describe("money paths", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
    await h.startWorker();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refunds a short capture exactly what it took, and its audit entry says that amount", async () => {
    const order = await placed(h);
    expect(order.totalAmount).toBe(20000);
    const paymentId = await requestPayment(h, order.id);
    const captureId = await capture(h, paymentId, 1);
    await h.waitForOrder(order.id, (o) => o.status === "PAYMENT_FAILED");
    const ledger = await waitForLedger(h, paymentId, (l) => l.refunds.length > 0);
    expect(ledger).toMatchObject({ paymentId, orderId: order.id, amount: 20000, captures: [{ pgTransactionId: captureId, amount: 1 }] });
    expect(ledger.refunds).toEqual([{ refundId: expect.any(String), pgTransactionId: captureId, amount: 1 }]);
    const mismatch = (e: AuditEntry) => e.eventType === "PAYMENT_AMOUNT_MISMATCH_REFUNDED";
    const entry = (await waitForAudit(h, order.id, (entries) => entries.some(mismatch))).find(mismatch);
    expect(entry?.metadata).toMatchObject({ amount: 1, pgTransactionId: captureId, refundId: ledger.refunds[0]!.refundId });
    expect(entry?.changeSummary).toContain("(1)");
  });

  it("refunds an over-capture what it took too", async () => {
    const order = await placed(h);
    const paymentId = await requestPayment(h, order.id);
    const captureId = await capture(h, paymentId, 20001);
    const ledger = await waitForLedger(h, paymentId, (l) => l.refunds.length > 0);
    expect(ledger.refunds).toEqual([{ refundId: expect.any(String), pgTransactionId: captureId, amount: 20001 }]);
  });

  it("refunds each extra capture of a paid order on its own and leaves the kept payment PAID; the customer's refund gives back the kept one", async () => {
    const order = await placed(h);
    const paymentId = await requestPayment(h, order.id);
    const kept = await capture(h, paymentId);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    const second = await capture(h, paymentId);
    const third = await capture(h, paymentId, 7);
    const ledger = await waitForLedger(h, paymentId, (l) => l.refunds.length >= 2);
    expect(ledger.captures.map((c) => c.pgTransactionId).sort()).toEqual([kept, second, third].sort());
    expect(ledger.refunds.map(({ pgTransactionId, amount }) => ({ pgTransactionId, amount })).sort((a, b) => a.amount - b.amount)).toEqual([
      { pgTransactionId: third, amount: 7 },
      { pgTransactionId: second, amount: 20000 },
    ]);
    expect(new Set(ledger.refunds.map((r) => r.refundId)).size).toBe(2);
    // The order keeps its capture: status, payment row and refund id untouched.
    const still = await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect(still.refundId).toBeNull();
    const payment = await h.prisma.payment.findUnique({ where: { id: paymentId } });
    expect(payment).toMatchObject({ status: "PAID", pgTransactionId: kept, refundId: null });
    const lateRefunds = (entries: AuditEntry[]) => entries.filter((e) => e.eventType === "LATE_PAYMENT_REFUNDED");
    const strays = lateRefunds(await waitForAudit(h, order.id, (entries) => lateRefunds(entries).length >= 2));
    expect(strays.map((e) => e.metadata.refundId).sort()).toEqual(ledger.refunds.map((r) => r.refundId).sort());

    await deliver(h, order.id);
    expect((await h.call("POST", `/orders/${order.id}/refund`, { token: h.tokens.customer, body: {} })).status).toBe(202);
    const refunded = await h.waitForOrder(order.id, (o) => o.status === "REFUND_COMPLETED");
    const after = await waitForLedger(h, paymentId, (l) => l.refunds.length >= 3);
    expect(after.refunds).toHaveLength(3);
    expect(after.refunds.find((r) => r.pgTransactionId === kept)).toEqual({ refundId: refunded.refundId, pgTransactionId: kept, amount: 20000 });
    expect(new Set(after.refunds.map((r) => r.refundId)).size).toBe(3);
    expect(await h.prisma.payment.findUnique({ where: { id: paymentId } })).toMatchObject({ status: "REFUNDED", refundId: refunded.refundId });
  });

  it("refunds the kept capture of a cancelled paid order with its own refund id, apart from a stray one", async () => {
    const order = await placed(h);
    const paymentId = await requestPayment(h, order.id);
    const kept = await capture(h, paymentId);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING" || o.status === "ORDER_CONFIRMED");
    const stray = await capture(h, paymentId, 3);
    await waitForLedger(h, paymentId, (l) => l.refunds.length >= 1);
    // A store rejection (PREPARING) gives the kept capture back.
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect((await h.call("POST", `/orders/${order.id}/status`, { token: h.tokens.store, body: { status: "STORE_REJECTED" } })).status).toBe(200);
    const rejected = await h.waitForOrder(order.id, (o) => o.refundId !== null);
    const ledger = await waitForLedger(h, paymentId, (l) => l.refunds.length >= 2);
    expect(ledger.refunds.map(({ pgTransactionId, amount }) => ({ pgTransactionId, amount })).sort((a, b) => a.amount - b.amount)).toEqual([
      { pgTransactionId: stray, amount: 3 },
      { pgTransactionId: kept, amount: 20000 },
    ]);
    expect(ledger.refunds.find((r) => r.pgTransactionId === kept)?.refundId).toBe(rejected.refundId);
  });

  it("treats the same capture reported again under a new event id as a replay: nothing is refunded", async () => {
    const order = await placed(h);
    const paymentId = await requestPayment(h, order.id);
    const pgTransactionId = `pg_${randomUUID()}`;
    const input = { orderId: order.id, paymentId, status: "PAID" as const, amount: order.totalAmount, pgTransactionId };
    expect((await sendWebhook(h, input)).body.outcome).toBe("PAYMENT_COMPLETED");
    expect((await sendWebhook(h, input)).body.outcome).toBe("CAPTURE_REPLAYED");
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    expect((await auditOf(h, order.id)).filter((e) => e.eventType.includes("REFUND"))).toEqual([]);
    expect(await h.prisma.payment.findUnique({ where: { id: paymentId } })).toMatchObject({ status: "PAID", pgTransactionId });
  });

  it("shows the ledger to the order's customer and admins only, after API.md's checks", async () => {
    const order = await placed(h);
    const paymentId = await requestPayment(h, order.id);
    expect((await ledgerOf(h, paymentId, h.tokens.customer)).body).toEqual({
      paymentId,
      orderId: order.id,
      amount: order.totalAmount,
      captures: [],
      refunds: [],
    });
    expect((await h.call("GET", `/sandbox/payments/${paymentId}`)).status).toBe(401);
    expect((await ledgerOf(h, "not-a-uuid")).status).toBe(400);
    expect((await ledgerOf(h, randomUUID())).status).toBe(404);
    expect((await ledgerOf(h, paymentId, h.tokens.otherCustomer)).status).toBe(404);
    expect((await ledgerOf(h, paymentId, h.tokens.otherStore)).status).toBe(404);
    const store = await ledgerOf(h, paymentId, h.tokens.store);
    expect(store.status).toBe(403);
    expect(store.body.code).toBe("FORBIDDEN");
  });
});

describe("a dead refund job retried from the queue dashboard", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ queues: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("requests the refund again on the operator's behalf, audited, and the refund is made", async () => {
    const refusing = await h.startWorker({ sandboxRefundFailureRate: 1, retry: { attempts: 2, backoffMs: 50 } });
    const order = await placed(h);
    const paymentId = await requestPayment(h, order.id);
    const kept = await capture(h, paymentId);
    await h.waitForOrder(order.id, (o) => o.status === "PREPARING");
    await deliver(h, order.id);
    expect((await h.call("POST", `/orders/${order.id}/refund`, { token: h.tokens.customer, body: {} })).status).toBe(202);
    await h.waitForOrder(order.id, (o) => o.status === "REFUND_FAILED");
    const queue = h.queues!["order-refunded"];
    const deadline = Date.now() + 20_000;
    while ((await queue.getFailedCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [dead] = await queue.getFailed();
    expect(dead?.data).toMatchObject({ orderId: order.id, phase: "REQUESTED" });
    await refusing.close();

    // The PG refunds again; the operator presses "retry" on the dead job.
    await h.startWorker({ retry: { attempts: 2, backoffMs: 50 } });
    const retried = await h.call("PUT", `/admin/queues/api/queues/order-refunded/${encodeURIComponent(dead!.id!)}/retry`, {
      token: h.tokens.admin,
    });
    expect(retried.status).toBe(204);
    const done = await h.waitForOrder(order.id, (o) => o.status === "REFUND_COMPLETED");
    const ledger = await waitForLedger(h, paymentId, (l) => l.refunds.length > 0);
    expect(ledger.refunds).toEqual([{ refundId: done.refundId, pgTransactionId: kept, amount: 20000 }]);

    const audit = await auditOf(h, order.id);
    const requests = audit.filter((e) => e.eventType === "ORDER_REFUNDED");
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatchObject({
      actorUserId: null,
      metadata: { actorRole: "admin", previousStatus: "REFUND_FAILED", newStatus: "REFUND_REQUESTED", onBehalfOf: "queue dashboard", retriedJobId: dead!.id },
    });
    // The retried job completed having done that, and says so in its own log, naming the order.
    const job = await queue.getJob(dead!.id!);
    expect(await job?.getState()).toBe("completed");
    const { logs } = await queue.getJobLogs(dead!.id!);
    expect(logs.join("\n")).toContain(order.id);
    expect(logs.join("\n")).toContain(order.orderNumber);
  });
});

describe("an order number clash", () => {
  let h: Harness;
  const drawn: string[] = [];
  beforeAll(async () => {
    // The first two draws are the same number: the second order clashes with the first.
    const numbers = ["ORD-20261201-AAAAAA", "ORD-20261201-AAAAAA", "ORD-20261201-BBBBBB"];
    h = await createHarness({
      newOrderNumber: () => {
        const next = numbers[drawn.length] ?? `ORD-20261201-${String(drawn.length).padStart(6, "0")}`;
        drawn.push(next);
        return next;
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("gives the order, its OrderCreated event and its audit entry the same, newly drawn number", async () => {
    const first = await placed(h);
    expect(first.orderNumber).toBe("ORD-20261201-AAAAAA");
    const second = await placed(h);
    expect(drawn).toHaveLength(3);
    expect(second.orderNumber).toBe("ORD-20261201-BBBBBB");
    expect((await h.call("GET", `/orders/${second.id}`, { token: h.tokens.admin })).body.orderNumber).toBe("ORD-20261201-BBBBBB");
    const created = (await auditOf(h, second.id)).find((e) => e.eventType === "ORDER_CREATED");
    expect(created?.changeSummary).toContain("ORD-20261201-BBBBBB");
    expect(created?.changeSummary).not.toContain("AAAAAA");
    const events = await h.prisma.outboxEvent.findMany({ where: { orderId: second.id, eventType: "OrderCreated" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ orderNumber: "ORD-20261201-BBBBBB" });
    // Nothing of the clashing draft was written.
    expect(await h.prisma.order.count({ where: { orderNumber: "ORD-20261201-AAAAAA" } })).toBe(1);
    expect((await auditOf(h, second.id)).filter((e) => e.eventType === "ORDER_CREATED")).toHaveLength(1);
  });
});
