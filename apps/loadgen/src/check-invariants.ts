// --check, part two: the DOMAIN.md rules, verified against PostgreSQL directly and the API's
// stock view, for the orders and products of one run. Used by `pnpm loadgen --check`, the
// scale-out script and the tests.
import pg from "pg";
import type { ApiClient } from "./api-client.ts";
import type { Unsettled } from "./settle.ts";
import { MONEY_BACK_STATUSES, PAID_AND_KEPT_STATUSES, REST_STATUSES, SOLD_STATUSES } from "./statuses.ts";

export type Violation = { rule: string; detail: string };

export type CheckInput = {
  databaseUrl: string;
  /** reads GET /stores/:s/products/:p (stock as the API serves it) */
  api: ApiClient;
  token: string;
  products: { storeId: string; productId: string; initialOnHand: number }[];
  orderIds: string[];
  /** the customers the run used: every order of theirs must be one the run knows */
  customerIds?: string[];
  /** creates whose answer was lost: that many unknown orders are tolerated */
  ambiguousCreates?: number;
  /** from the settle step */
  unsettled?: Unsettled[];
  /** orders whose PAID webhook was answered 200 before expiresAt */
  paidInTimeIds?: string[];
};

export type CheckReport = {
  violations: Violation[];
  /** what was looked at, for the summary */
  checked: Record<string, number>;
};

/** Outbox types whose event is audited under its own id when it is raised (DOMAIN.md). */
const AUDITED_OUTBOX_TYPES = [
  "OrderCreated",
  "StockReserved",
  "PaymentRequested",
  "PaymentCompleted",
  "OrderConfirmed",
  "OrderCancelled",
  "OrderRefunded",
];

/** Audit entries an order may carry at most once (ORDER_CREATED exactly once). */
const AT_MOST_ONCE = [
  "ORDER_CREATED",
  "STOCK_RESERVED",
  "PAYMENT_COMPLETED",
  "ORDER_CONFIRMED",
  "ORDER_TIMEOUT",
  "ORDER_CANCELLED",
  "STORE_NOTIFIED",
  "REFUND_COMPLETED",
];

export async function checkInvariants(input: CheckInput): Promise<CheckReport> {
  const violations: Violation[] = [];
  const add = (rule: string, detail: string) => violations.push({ rule, detail });
  const checked: Record<string, number> = {};

  for (const u of input.unsettled ?? []) {
    add("every order settles", `order ${u.id} (${u.flow}) is ${u.status}: ${u.why}; expected ${u.expected.join("|")}`);
  }

  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  try {
    const ids = input.orderIds;
    const productIds = input.products.map((p) => p.productId);
    const q = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> =>
      (await client.query<T>(sql, params)).rows;

    // Orders as PostgreSQL has them (the settle step saw them through the API).
    const orders = await q<{ id: string; status: string; refund_id: string | null; confirmed_at: Date | null }>(
      "SELECT id, status, refund_id, confirmed_at FROM p_order WHERE id = ANY($1::uuid[])",
      [ids],
    );
    checked.orders = orders.length;
    const statusOf = new Map(orders.map((o) => [o.id, o.status]));
    for (const id of ids) if (!statusOf.has(id)) add("orders exist", `order ${id} answered by the API is not in p_order`);

    // --- no duplicate orders (idempotent creates) ---
    if (input.customerIds?.length) {
      const [row] = await q<{ n: string }>(
        "SELECT count(*) AS n FROM p_order WHERE user_id = ANY($1::uuid[]) AND NOT (id = ANY($2::uuid[]))",
        [input.customerIds, ids],
      );
      const unknown = Number(row?.n ?? 0);
      if (unknown > (input.ambiguousCreates ?? 0)) {
        add("no duplicate orders", `${unknown} orders of the run's customers were never answered to the loadgen (lost answers: ${input.ambiguousCreates ?? 0})`);
      }
    }

    // --- stock conservation, per product it created ---
    const sold = await q<{ product_id: string; units: string }>(
      `SELECT i.product_id, sum(i.quantity) AS units FROM p_order_item i JOIN p_order o ON o.id = i.order_id
        WHERE i.product_id = ANY($1::uuid[]) AND o.status = ANY($2::text[]) GROUP BY i.product_id`,
      [productIds, [...SOLD_STATUSES]],
    );
    const soldUnits = new Map(sold.map((r) => [r.product_id, Number(r.units)]));
    const dbOnHand = new Map(
      (await q<{ id: string; on_hand: number }>("SELECT id, on_hand FROM p_product WHERE id = ANY($1::uuid[])", [productIds])).map(
        (r) => [r.id, r.on_hand],
      ),
    );
    for (const p of input.products) {
      const res = await input.api.request("GET", `/stores/${p.storeId}/products/${p.productId}`, {
        token: input.token,
        route: "GET /stores/:id/products/:id (check)",
        idempotent: true,
      });
      if (res.status !== 200) {
        add("stock conservation", `product ${p.productId}: GET answered ${res.status}`);
        continue;
      }
      const { onHand, available, reserved } = res.body.stock as { onHand: number; available: number; reserved: number };
      const expectedOnHand = p.initialOnHand - (soldUnits.get(p.productId) ?? 0);
      if (available + reserved !== onHand) {
        add("stock conservation", `product ${p.productId}: available ${available} + reserved ${reserved} ≠ onHand ${onHand}`);
      }
      if (dbOnHand.get(p.productId) !== onHand) {
        add("stock conservation", `product ${p.productId}: API onHand ${onHand} ≠ p_product.on_hand ${dbOnHand.get(p.productId)}`);
      }
      if (onHand !== expectedOnHand) {
        add(
          "stock conservation",
          `product ${p.productId}: onHand ${onHand} ≠ initial ${p.initialOnHand} − sold ${soldUnits.get(p.productId) ?? 0} = ${expectedOnHand}`,
        );
      }
      if (available < 0) add("no oversell", `product ${p.productId}: available ${available} < 0`);
      if (reserved !== 0 && (input.unsettled ?? []).length === 0) {
        add("stock conservation", `product ${p.productId}: ${reserved} units still held after every order settled`);
      }
    }
    checked.products = input.products.length;

    // --- reservations: a sale is CONFIRMED; nothing at rest is still held ---
    const reservations = await q<{ order_id: string; status: string; n: string }>(
      "SELECT order_id, status, count(*) OVER (PARTITION BY order_id) AS n FROM p_stock_reservation_log WHERE order_id = ANY($1::uuid[])",
      [ids],
    );
    for (const r of reservations) {
      const status = statusOf.get(r.order_id) ?? "?";
      if (Number(r.n) > 1) add("one reservation per order", `order ${r.order_id} has ${r.n} reservation log rows`);
      if (SOLD_STATUSES.has(status) && r.status !== "CONFIRMED") {
        add("stock conservation", `order ${r.order_id} is ${status} but its reservation is ${r.status}`);
      }
      if (REST_STATUSES.has(status) && r.status === "RESERVED") {
        add("stock conservation", `order ${r.order_id} is ${status} but its reservation is still RESERVED`);
      }
    }
    checked.reservations = reservations.length;

    // --- never both confirmed and timed out ---
    const both = await q<{ order_id: string }>(
      `SELECT order_id FROM p_order_audit WHERE order_id = ANY($1::uuid[]) AND event_type IN ('ORDER_CONFIRMED', 'ORDER_TIMEOUT')
        GROUP BY order_id HAVING count(DISTINCT event_type) = 2`,
      [ids],
    );
    for (const r of both) add("never confirmed and timed out", `order ${r.order_id} has ORDER_CONFIRMED and ORDER_TIMEOUT entries`);
    for (const o of orders) {
      if (o.status === "PAYMENT_TIMEOUT" && o.confirmed_at) add("never confirmed and timed out", `order ${o.id} timed out with confirmed_at set`);
    }

    // --- paid in time never loses the order ---
    for (const id of input.paidInTimeIds ?? []) {
      if (statusOf.get(id) === "PAYMENT_TIMEOUT") {
        add("paid in time is never timed out", `order ${id}: PAID webhook answered 200 before expiresAt, yet PAYMENT_TIMEOUT`);
      }
    }

    // --- outbox: every event sent, every event audited exactly once ---
    const outbox = await q<{ id: string; order_id: string; event_type: string; sent: boolean; audits: string; audit_order: string | null }>(
      `SELECT e.id, e.order_id, e.event_type, e.sent_at IS NOT NULL AS sent,
              (SELECT count(*) FROM p_order_audit a WHERE a.event_id = e.id) AS audits,
              (SELECT a.order_id::text FROM p_order_audit a WHERE a.event_id = e.id LIMIT 1) AS audit_order
         FROM p_outbox_event e WHERE e.order_id = ANY($1::uuid[])`,
      [ids],
    );
    checked.outboxEvents = outbox.length;
    for (const e of outbox) {
      if (!e.sent) add("every event is relayed", `outbox ${e.event_type} ${e.id} of order ${e.order_id} is not sent`);
      if (AUDITED_OUTBOX_TYPES.includes(e.event_type)) {
        if (Number(e.audits) !== 1) {
          add("every event audited once", `${e.event_type} ${e.id} of order ${e.order_id} has ${e.audits} audit entries`);
        } else if (e.audit_order !== e.order_id) {
          add("every event audited once", `${e.event_type} ${e.id}: audit entry belongs to order ${e.audit_order}, not ${e.order_id}`);
        }
      }
    }

    // --- no duplicate effects in the audit trail ---
    const dupes = await q<{ order_id: string; event_type: string; n: string }>(
      `SELECT order_id, event_type, count(*) AS n FROM p_order_audit
        WHERE order_id = ANY($1::uuid[]) AND event_type = ANY($2::text[]) GROUP BY order_id, event_type HAVING count(*) > 1`,
      [ids, AT_MOST_ONCE],
    );
    for (const d of dupes) add("no duplicate effects", `order ${d.order_id} has ${d.n} ${d.event_type} entries`);
    const created = await q<{ id: string }>(
      `SELECT o.id FROM p_order o WHERE o.id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM p_order_audit a WHERE a.order_id = o.id AND a.event_type = 'ORDER_CREATED')`,
      [ids],
    );
    for (const r of created) add("every event audited once", `order ${r.id} has no ORDER_CREATED entry`);
    const audits = await q<{ n: string }>("SELECT count(*) AS n FROM p_order_audit WHERE order_id = ANY($1::uuid[])", [ids]);
    checked.auditEntries = Number(audits[0]?.n ?? 0);

    // --- refunds, per capture: every capture not kept for its order has exactly one refund of
    // its own amount; the kept one only once its order gave the money back; no refund id twice ---
    const payments = await q<{ id: string; order_id: string; status: string; refund_id: string | null }>(
      "SELECT id, order_id, status, refund_id FROM p_payment WHERE order_id = ANY($1::uuid[])",
      [ids],
    );
    checked.payments = payments.length;
    const captures = await q<{
      pg_transaction_id: string;
      order_id: string;
      amount: string;
      kept: boolean;
      refund_id: string | null;
      refunded_amount: string | null;
    }>(
      `SELECT pg_transaction_id, order_id, amount, kept, refund_id, refunded_amount FROM p_payment_capture
        WHERE order_id = ANY($1::uuid[])`,
      [ids],
    );
    checked.captures = captures.length;
    const refundAudits = await q<{ refund_id: string; event_type: string; order_id: string }>(
      `SELECT metadata->>'refundId' AS refund_id, event_type, order_id FROM p_order_audit
        WHERE order_id = ANY($1::uuid[]) AND event_type LIKE '%REFUND%' AND event_type <> 'REFUND_FAILED'
          AND metadata->>'refundId' IS NOT NULL`,
      [ids],
    );
    const auditsByRefund = new Map<string, string[]>();
    for (const a of refundAudits) auditsByRefund.set(a.refund_id, [...(auditsByRefund.get(a.refund_id) ?? []), a.event_type]);
    // The sandbox PG's own books, when the run paid through it (empty with another gateway).
    const sandbox = await q<{ pg_transaction_id: string; refund_id: string; amount: string; captured: string | null }>(
      `SELECT r.pg_transaction_id, r.refund_id, r.amount, c.amount AS captured FROM p_sandbox_refund r
         JOIN p_payment_capture pc ON pc.pg_transaction_id = r.pg_transaction_id
         LEFT JOIN p_sandbox_capture c ON c.pg_transaction_id = r.pg_transaction_id
        WHERE pc.order_id = ANY($1::uuid[])`,
      [ids],
    );
    const sandboxByCapture = new Map<string, { refund_id: string; amount: string; captured: string | null }[]>();
    for (const r of sandbox) sandboxByCapture.set(r.pg_transaction_id, [...(sandboxByCapture.get(r.pg_transaction_id) ?? []), r]);
    const orderStatus = new Map(orders.map((o) => [o.id, o.status]));
    const refundOwner = new Map<string, string>();
    let refunded = 0;
    for (const c of captures) {
      const status = orderStatus.get(c.order_id) ?? "unknown";
      const owed = !c.kept || MONEY_BACK_STATUSES.has(status);
      const what = `capture ${c.pg_transaction_id} (${c.kept ? "kept" : "not kept"}) of order ${c.order_id}, ${status}`;
      if (c.refund_id !== null) {
        refunded++;
        if (!owed) add("refund per capture", `${what} was refunded (${c.refund_id}) although its order keeps it`);
        if (Number(c.refunded_amount) !== Number(c.amount)) add("refund per capture", `${what} took ${c.amount} but ${c.refunded_amount} went back`);
        const other = refundOwner.get(c.refund_id);
        if (other !== undefined) add("no refund twice", `refund ${c.refund_id} is shared by captures ${other} and ${c.pg_transaction_id}`);
        refundOwner.set(c.refund_id, c.pg_transaction_id);
        const entries = auditsByRefund.get(c.refund_id) ?? [];
        if (entries.length !== 1) add("no refund twice", `${what}: refund ${c.refund_id} has ${entries.length} audit entries (${entries.join(", ")})`);
      } else if (owed) {
        add("refund per capture", `${what} was never refunded`);
      }
      const atPg = sandboxByCapture.get(c.pg_transaction_id) ?? [];
      if (atPg.length > 1) add("no refund twice", `${what} has ${atPg.length} refunds at the sandbox PG`);
      for (const r of atPg) {
        if (r.captured !== null && Number(r.amount) > Number(r.captured)) {
          add("refund per capture", `${what}: the sandbox PG refunded ${r.amount}, more than the ${r.captured} it captured`);
        }
        if (c.refund_id !== null && r.refund_id !== c.refund_id) add("no refund twice", `${what}: refund ${c.refund_id} here, ${r.refund_id} at the PG`);
      }
      // A refund whose answer was lost (a PG timeout) is on the PG's books of a REFUND_FAILED order: an admin asks again.
      if (owed && sandbox.length > 0 && atPg.length === 0) add("refund per capture", `${what} owes a refund the sandbox PG never made`);
      if (!owed && atPg.length > 0 && status !== "REFUND_FAILED") {
        add("refund per capture", `${what}: the sandbox PG refunded it although its order keeps it`);
      }
    }
    checked.refundedCaptures = refunded;
    for (const a of refundAudits) {
      if (!refundOwner.has(a.refund_id)) add("no refund twice", `${a.event_type} entry of order ${a.order_id} names refund ${a.refund_id}, which no capture has`);
    }
    const paidByOrder = new Map<string, number>();
    for (const p of payments) if (p.status === "PAID") paidByOrder.set(p.order_id, (paidByOrder.get(p.order_id) ?? 0) + 1);
    for (const o of orders) {
      const paid = paidByOrder.get(o.id) ?? 0;
      if (MONEY_BACK_STATUSES.has(o.status) && paid > 0) {
        add("money back", `order ${o.id} is ${o.status} but keeps ${paid} PAID payment(s)`);
      }
      if (PAID_AND_KEPT_STATUSES.has(o.status) && paid !== 1) {
        add("one capture per sale", `order ${o.id} is ${o.status} with ${paid} PAID payments`);
      }
      if (o.status === "REFUND_COMPLETED") {
        const match = payments.some((p) => p.order_id === o.id && p.status === "REFUNDED" && p.refund_id === o.refund_id);
        if (!o.refund_id || !match) add("no refund twice", `order ${o.id} is REFUND_COMPLETED without a REFUNDED payment carrying refund ${o.refund_id}`);
      }
    }
  } finally {
    await client.end();
  }
  return { violations, checked };
}

/** Every violation, grouped by rule. */
export function formatViolations(violations: Violation[]): string {
  if (violations.length === 0) return "invariants: all hold";
  const byRule = new Map<string, string[]>();
  for (const v of violations) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v.detail]);
  const lines = [`invariants: ${violations.length} violation(s)`];
  for (const [rule, details] of byRule) {
    lines.push(`  ✗ ${rule} (${details.length})`);
    for (const d of details) lines.push(`      ${d}`);
  }
  return lines.join("\n");
}
