// The simulated customers, stores and PG: one function per flow of --mix. Each drives its
// order as far as a client would and leaves it with the statuses it should settle into.
import { randomUUID } from "node:crypto";
import { TransportError, type ApiClient, type ApiResponse } from "./api-client.ts";
import type { Flow } from "./options.ts";
import { REST_STATUSES } from "./statuses.ts";
import type { Stats, TrackedOrder } from "./stats.ts";
import { pick, pickLines, type Customer, type Store, type World } from "./world.ts";

export type FlowContext = {
  api: ApiClient;
  stats: Stats;
  world: World;
  rng: () => number;
  /** the local Stripe-compatible server customers pay at (PAYMENT_GATEWAY=stripe) */
  stripeApiBase?: string;
};

/** How long a flow waits for the system to move an order on its own (e.g. to PREPARING). */
const STEP_TIMEOUT_MS = 60_000;
const POLL_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An answer the flow did not expect: counted as an error, the flow stops there. */
class FlowStopped extends Error {
  override name = "FlowStopped";
}

function describe(res: ApiResponse): string {
  return res.code ? `${res.status} ${res.code}` : String(res.status);
}

function expectStatus(ctx: FlowContext, route: string, res: ApiResponse, ok: number): void {
  if (res.status === ok) return;
  ctx.stats.error(`${route} → ${describe(res)}`);
  throw new FlowStopped(`${route} → ${describe(res)}`);
}

async function createOrder(ctx: FlowContext, flow: Flow, customer: Customer, store: Store): Promise<TrackedOrder | null> {
  const items = pickLines(ctx.rng, store);
  let res: ApiResponse;
  try {
    res = await ctx.api.request("POST", "/orders", {
      token: customer.token,
      // The key makes a retry after a lost answer return the first order instead of a second one.
      headers: { "Idempotency-Key": `loadgen-${randomUUID()}` },
      body: { storeId: store.id, items },
      route: "POST /orders",
      idempotent: true,
    });
  } catch (error) {
    if (error instanceof TransportError) ctx.stats.ambiguousCreates++;
    throw error;
  }
  if (res.status === 409 && res.code === "OUT_OF_STOCK") {
    ctx.stats.outcome(`${flow}: out of stock at create`);
    const id = res.body?.orderId ?? res.body?.order?.id;
    if (typeof id !== "string") return null;
    res = { status: 201, code: null, body: { id, status: "STOCK_RESERVATION_FAILED", expiresAt: new Date().toISOString() } };
  }
  expectStatus(ctx, "POST /orders", res, 201);
  const order: TrackedOrder = {
    id: res.body.id,
    flow,
    variant: "",
    customerId: customer.id,
    customerToken: customer.token,
    storeId: store.id,
    items,
    expiresAt: Date.parse(res.body.expiresAt),
    status: res.body.status,
    expect: REST_STATUSES,
    needsRefundId: false,
    refundId: null,
    paidInTime: false,
    broken: false,
  };
  ctx.stats.orders.set(order.id, order);
  if (order.status === "STOCK_RESERVATION_FAILED") {
    order.expect = new Set(["STOCK_RESERVATION_FAILED"]);
    throw new FlowStopped("out of stock");
  }
  return order;
}

async function getOrder(ctx: FlowContext, order: TrackedOrder): Promise<any> {
  const res = await ctx.api.request("GET", `/orders/${order.id}`, {
    token: order.customerToken,
    route: "GET /orders/:id",
    idempotent: true,
  });
  expectStatus(ctx, "GET /orders/:id", res, 200);
  order.status = res.body.status;
  order.refundId = res.body.refundId ?? null;
  return res.body;
}

/** Polls until the order reaches one of `wanted`; another rest status stops the flow. */
async function waitFor(ctx: FlowContext, order: TrackedOrder, wanted: readonly string[]): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    await getOrder(ctx, order);
    if (wanted.includes(order.status)) return;
    if (REST_STATUSES.has(order.status)) {
      ctx.stats.outcome(`${order.flow}: ended in ${order.status} while waiting for ${wanted.join("|")}`);
      throw new FlowStopped(`ended in ${order.status}`);
    }
    if (Date.now() > deadline) {
      ctx.stats.error(`waiting for ${wanted.join("|")} timed out`);
      throw new FlowStopped("step timed out");
    }
    await sleep(POLL_MS);
  }
}

type PaymentAsked = { paymentId: string; clientSecret?: string };

async function requestPayment(ctx: FlowContext, order: TrackedOrder): Promise<PaymentAsked> {
  const res = await ctx.api.request("POST", `/orders/${order.id}/payment`, {
    token: order.customerToken,
    route: "POST /orders/:id/payment",
    idempotent: true,
  });
  expectStatus(ctx, "POST /orders/:id/payment", res, 202);
  order.status = "PAYMENT_PENDING";
  return { paymentId: res.body.paymentId, clientSecret: res.body.clientSecret };
}

/**
 * Stripe: the customer confirms the intent with a test card, as Stripe.js would with the client
 * secret; the local server posts the signed event to the API before it answers.
 */
async function confirmAtStripe(ctx: FlowContext, order: TrackedOrder, asked: PaymentAsked, outcome: "PAID" | "FAILED"): Promise<void> {
  if (!asked.clientSecret) {
    ctx.stats.error("POST /orders/:id/payment → 202 without clientSecret");
    throw new FlowStopped("no client secret");
  }
  const intentId = asked.clientSecret.split("_secret_")[0];
  const card = outcome === "PAID" ? "pm_card_visa" : "pm_card_chargeDeclined";
  const res = await fetch(`${ctx.stripeApiBase}/v1/payment_intents/${intentId}/confirm`, {
    method: "POST",
    headers: { Authorization: "Bearer sk_test_loadgen", "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ payment_method: card }).toString(),
  });
  await res.arrayBuffer();
  if (res.status !== (outcome === "PAID" ? 200 : 402)) {
    ctx.stats.error(`stripe confirm → ${res.status}`);
    throw new FlowStopped(`stripe confirm → ${res.status}`);
  }
  const webhookStatus = Number(res.headers.get("Local-Webhook-Status"));
  if (webhookStatus !== 200) {
    ctx.stats.error(`stripe webhook answered ${webhookStatus}`);
    throw new FlowStopped("webhook refused");
  }
  if (outcome === "PAID" && Date.now() < order.expiresAt) order.paidInTime = true;
}

/** The PG: the customer paid (or was declined); it sends the signed webhook. */
async function completePayment(ctx: FlowContext, order: TrackedOrder, asked: PaymentAsked, outcome: "PAID" | "FAILED"): Promise<void> {
  if (ctx.stripeApiBase) return confirmAtStripe(ctx, order, asked, outcome);
  const { paymentId } = asked;
  // Not retried on an unknown outcome: a second webhook would be a second capture.
  const res = await ctx.api.request("POST", `/sandbox/payments/${paymentId}/complete`, {
    token: order.customerToken,
    body: { outcome },
    route: "POST /sandbox/payments/:id/complete",
    idempotent: false,
  });
  expectStatus(ctx, "POST /sandbox/payments/:id/complete", res, 202);
  if (res.body.webhookStatus !== 200) {
    ctx.stats.error(`webhook answered ${res.body.webhookStatus}`);
    throw new FlowStopped("webhook refused");
  }
  // Answered 200 before expiresAt: DOMAIN.md says this order can no longer time out.
  if (outcome === "PAID" && Date.now() < order.expiresAt) order.paidInTime = true;
}

/**
 * Whether the cancel found the order paid, as its ORDER_CANCELLED entry records. A PAID
 * answered 200 is not proof: accepted after expiresAt, it is refunded as a late payment and
 * the order stays unpaid until its timeout (API.md), so a cancel meanwhile owes no refund id.
 */
async function cancelledWhilePaid(ctx: FlowContext, order: TrackedOrder): Promise<boolean> {
  const res = await ctx.api.request("GET", `/orders/${order.id}/audit`, {
    token: order.customerToken,
    route: "GET /orders/:id/audit",
    idempotent: true,
  });
  expectStatus(ctx, "GET /orders/:id/audit", res, 200);
  const entries = res.body as { eventType: string; metadata: { paid?: unknown } }[];
  return entries.some((e) => e.eventType === "ORDER_CANCELLED" && e.metadata.paid === true);
}

async function pay(ctx: FlowContext, order: TrackedOrder): Promise<void> {
  await completePayment(ctx, order, await requestPayment(ctx, order), "PAID");
  order.expect = new Set(["PREPARING"]);
}

async function setStatus(ctx: FlowContext, order: TrackedOrder, status: string, token: string): Promise<void> {
  const res = await ctx.api.request("POST", `/orders/${order.id}/status`, {
    token,
    body: { status },
    route: `POST /orders/:id/status ${status}`,
    idempotent: false,
  });
  expectStatus(ctx, `POST /orders/:id/status ${status}`, res, 200);
  order.status = res.body.status;
}

async function deliver(ctx: FlowContext, order: TrackedOrder, store: Store): Promise<void> {
  await pay(ctx, order);
  await waitFor(ctx, order, ["PREPARING"]);
  for (const s of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) await setStatus(ctx, order, s, store.token);
  order.expect = new Set(["DELIVERED"]);
}

const FLOW_DRIVERS: Record<Flow, (ctx: FlowContext, order: TrackedOrder, store: Store) => Promise<void>> = {
  pay,

  async decline(ctx, order) {
    const first = await requestPayment(ctx, order);
    await completePayment(ctx, order, first, "FAILED");
    await waitFor(ctx, order, ["PAYMENT_FAILED"]);
    await pay(ctx, order);
  },

  async abandon(ctx, order) {
    // Half never ask to pay, half leave the payment pending: both must time out.
    if (ctx.rng() < 0.5) {
      order.variant = "payment-pending";
      await requestPayment(ctx, order);
    } else {
      order.variant = "never-paid";
    }
    order.expect = new Set(["PAYMENT_TIMEOUT"]);
  },

  async cancel(ctx, order) {
    const afterPayment = ctx.rng() < 0.5;
    order.variant = afterPayment ? "after-payment" : "before-payment";
    if (afterPayment) await pay(ctx, order);
    const res = await ctx.api.request("POST", `/orders/${order.id}/cancel`, {
      token: order.customerToken,
      body: { reason: "loadgen: changed my mind" },
      route: "POST /orders/:id/cancel",
      idempotent: false,
    });
    if (afterPayment && res.status === 409 && res.code === "INVALID_STATE_TRANSITION") {
      // The system moved on first (preparation started, or a slow payment timed out): a
      // cancel is refused from there (DOMAIN.md); the order rests where it got to.
      order.variant = "after-payment-refused";
      await getOrder(ctx, order);
      ctx.stats.outcome(`cancel after payment: refused, order already ${order.status}`);
      order.expect = new Set(["PREPARING", "PAYMENT_TIMEOUT"]);
      return;
    }
    expectStatus(ctx, "POST /orders/:id/cancel", res, 200);
    order.status = res.body.status;
    order.expect = new Set(["ORDER_CANCELLED"]);
    order.needsRefundId = afterPayment && (await cancelledWhilePaid(ctx, order));
    if (afterPayment && !order.needsRefundId) {
      order.variant = "after-late-payment";
      ctx.stats.outcome("cancel after payment: the PAID came after expiresAt (refunded as late), so the order was cancelled unpaid");
    }
  },

  async store(ctx, order, store) {
    await deliver(ctx, order, store);
    // The customer confirms receipt.
    await setStatus(ctx, order, "COMPLETED", order.customerToken);
    order.expect = new Set(["COMPLETED"]);
  },

  async refund(ctx, order, store) {
    await deliver(ctx, order, store);
    const res = await ctx.api.request("POST", `/orders/${order.id}/refund`, {
      token: order.customerToken,
      body: { reason: "loadgen: arrived cold" },
      route: "POST /orders/:id/refund",
      idempotent: false,
    });
    expectStatus(ctx, "POST /orders/:id/refund", res, 202);
    order.status = res.body.status ?? "REFUND_REQUESTED";
    // REFUND_FAILED is a legitimate end when SANDBOX_REFUND_FAILURE_RATE > 0.
    order.expect = new Set(["REFUND_COMPLETED", "REFUND_FAILED"]);
  },
};

/** Runs one flow end to end; never throws (failures are counted). */
export async function runFlow(ctx: FlowContext, flow: Flow): Promise<void> {
  ctx.stats.flowStarted(flow);
  const customer = pick(ctx.rng, ctx.world.customers);
  const store = pick(ctx.rng, ctx.world.stores);
  let order: TrackedOrder | null = null;
  try {
    order = await createOrder(ctx, flow, customer, store);
    if (!order) return;
    await FLOW_DRIVERS[flow](ctx, order, store);
  } catch (error) {
    if (!(error instanceof FlowStopped) && !(error instanceof TransportError)) {
      ctx.stats.error(`${flow}: ${(error as Error).message}`);
    }
    if (order && order.status !== "STOCK_RESERVATION_FAILED") {
      // Stopped halfway: whatever rest status it reaches is consistent with what was done.
      order.broken = true;
      order.expect = REST_STATUSES;
    }
  }
}
