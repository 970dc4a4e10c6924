import { randomUUID } from "node:crypto";
import { signWebhook } from "@order-flow/payments";
import { WEBHOOK_SECRET, type Harness } from "./harness.ts";

export type WebhookInput = {
  orderId: string;
  paymentId: string;
  status: "PAID" | "FAILED";
  amount: number;
  eventId?: string;
  pgTransactionId?: string;
};

/** Sends a PG webhook as the PG would: signed over the raw body. */
export async function sendWebhook(h: Harness, input: WebhookInput, opts: { secret?: string; t?: number; tamper?: boolean } = {}) {
  const body = JSON.stringify({
    eventId: input.eventId ?? randomUUID(),
    paymentId: input.paymentId,
    orderId: input.orderId,
    status: input.status,
    amount: input.amount,
    pgTransactionId: input.pgTransactionId ?? `pg_${randomUUID().slice(0, 8)}`,
  });
  const signature = signWebhook(body, opts.secret ?? WEBHOOK_SECRET, opts.t ?? Math.floor(Date.now() / 1000));
  const sent = opts.tamper ? body.replace(`"amount":${input.amount}`, `"amount":${input.amount + 1}`) : body;
  return h.call("POST", "/webhooks/payments", { body: sent, headers: { "X-Signature": signature } });
}
