#!/usr/bin/env node
// The README's curl walkthrough as a script, against a running API:
//
//   node scripts/smoke.mjs [--url http://127.0.0.1:3000]
//
// Tokens come from `npm run -s token` (the README's way), so the API must run with the same
// JWT_SECRET as this process's environment. One order is paid and reaches PREPARING; another is
// paid, delivered, refunded and reaches REFUND_COMPLETED. Each step prints a line; the first that
// fails prints `smoke: FAILED at <step>: <why>` and the exit code is 1.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const WAIT_MS = 60_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class StepError extends Error {}

function token(...args) {
  return execFileSync("npm", ["run", "-s", "token", "--", ...args], { cwd: root, encoding: "utf8" }).trim();
}

export async function walkthrough(base, log = (line) => console.log(line)) {
  let current = "mint tokens";
  const step = async (name, fn) => {
    current = name;
    const t0 = Date.now();
    const out = await fn();
    log(`smoke: ${name}: ok (${Date.now() - t0} ms)`);
    return out;
  };
  const call = async (method, path, tok, body, headers = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${tok}`, ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON; reported below if it matters
    }
    return { status: res.status, body: json, text };
  };
  const expectStatus = (res, want, what) => {
    if (res.status !== want) throw new StepError(`${what} answered ${res.status}: ${res.text.slice(0, 300)}`);
    return res.body;
  };
  const waitFor = async (orderId, tok, status) => {
    const deadline = Date.now() + WAIT_MS;
    let last = "";
    while (Date.now() < deadline) {
      const res = await call("GET", `/orders/${orderId}`, tok);
      last = res.body?.status ?? `HTTP ${res.status}`;
      if (last === status) return;
      await sleep(250);
    }
    throw new StepError(`order ${orderId} is ${last}, not ${status}, after ${WAIT_MS / 1000} s`);
  };

  try {
    const store = randomUUID();
    const product = randomUUID();
    const tokens = await step("mint tokens (npm run token)", () => ({
      store: token("store", "--store", store),
      me: token("customer"),
    }));
    await step("store stocks a product", async () =>
      expectStatus(
        await call("PUT", `/stores/${store}/products/${product}`, tokens.store, { name: "Kimbap", price: 12000, onHand: 10 }),
        200,
        "PUT product",
      ),
    );
    const placeAndPay = async (label) => {
      const order = await step(`${label}: customer orders two`, async () =>
        expectStatus(
          await call("POST", "/orders", tokens.me, { storeId: store, items: [{ productId: product, quantity: 2 }] }, { "Idempotency-Key": `smoke-${randomUUID()}` }),
          201,
          "POST /orders",
        ),
      );
      const payment = await step(`${label}: customer pays`, async () =>
        expectStatus(await call("POST", `/orders/${order.id}/payment`, tokens.me), 202, "POST payment"),
      );
      await step(`${label}: sandbox PG sends PAID`, async () =>
        expectStatus(await call("POST", `/sandbox/payments/${payment.paymentId}/complete`, tokens.me, { outcome: "PAID" }), 202, "sandbox complete"),
      );
      await step(`${label}: order ${order.orderNumber ?? order.id} reaches PREPARING`, () => waitFor(order.id, tokens.me, "PREPARING"));
      return order;
    };
    await placeAndPay("order 1");
    const second = await placeAndPay("order 2");
    for (const status of ["READY_FOR_DELIVERY", "DELIVERING", "DELIVERED"]) {
      await step(`order 2: store sets ${status}`, async () =>
        expectStatus(await call("POST", `/orders/${second.id}/status`, tokens.store, { status }), 200, `POST status ${status}`),
      );
    }
    await step("order 2: customer asks for a refund", async () => {
      expectStatus(await call("POST", `/orders/${second.id}/refund`, tokens.me, { reason: "arrived cold" }), 202, "POST refund");
    });
    await step(`order 2: ${second.orderNumber ?? second.id} reaches REFUND_COMPLETED`, () => waitFor(second.id, tokens.me, "REFUND_COMPLETED"));
    await step("order 2: audit trail readable", async () => {
      const audit = expectStatus(await call("GET", `/orders/${second.id}/audit`, tokens.me), 200, "GET audit");
      if (!Array.isArray(audit) || audit.length === 0) throw new StepError("empty audit trail");
    });
    return true;
  } catch (error) {
    log(`smoke: FAILED at ${current}: ${error instanceof StepError ? error.message : (error?.stack ?? error)}`);
    return false;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--url");
  const base = i > 0 ? process.argv[i + 1] : "http://127.0.0.1:3000";
  process.exit((await walkthrough(base)) ? 0 : 1);
}
