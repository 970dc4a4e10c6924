// --check with --stripe: the gateway's own books, as the local Stripe-compatible server keeps
// them (its list endpoints answer every object). Two rules the database cannot show: one
// PaymentIntent per payment, and no charge refunded beyond what it captured.
import type { Violation } from "./check-invariants.ts";

type Intent = { id: string; metadata: Record<string, string> };
type Charge = { id: string; amount_captured: number };
type Refund = { id: string; charge: string | null; amount: number; status: string | null };

async function list<T>(base: string, kind: string): Promise<T[]> {
  const res = await fetch(`${base}/v1/${kind}?limit=100`, { headers: { Authorization: "Bearer sk_test_loadgen" } });
  if (!res.ok) throw new Error(`GET ${base}/v1/${kind} → ${res.status}`);
  return ((await res.json()) as { data: T[] }).data;
}

export async function checkStripeBooks(
  base: string,
  paymentIds: Iterable<string>,
): Promise<{ violations: Violation[]; checked: Record<string, number> }> {
  const violations: Violation[] = [];
  const [intents, charges, refunds] = await Promise.all([
    list<Intent>(base, "payment_intents"),
    list<Charge>(base, "charges"),
    list<Refund>(base, "refunds"),
  ]);
  const ours = new Set(paymentIds);
  const intentsByPayment = new Map<string, string[]>();
  for (const intent of intents) {
    const paymentId = intent.metadata.paymentId;
    if (!paymentId || !ours.has(paymentId)) continue;
    intentsByPayment.set(paymentId, [...(intentsByPayment.get(paymentId) ?? []), intent.id]);
  }
  for (const [paymentId, ids] of intentsByPayment) {
    if (ids.length > 1) violations.push({ rule: "one intent per payment", detail: `payment ${paymentId} has ${ids.length} intents: ${ids.join(", ")}` });
  }
  const refundedByCharge = new Map<string, number>();
  for (const r of refunds) {
    if (!r.charge || r.status === "failed" || r.status === "canceled") continue;
    refundedByCharge.set(r.charge, (refundedByCharge.get(r.charge) ?? 0) + r.amount);
  }
  const chargeById = new Map(charges.map((c) => [c.id, c]));
  for (const [chargeId, refunded] of refundedByCharge) {
    const captured = chargeById.get(chargeId)?.amount_captured ?? 0;
    if (refunded > captured) {
      violations.push({ rule: "refunds within the capture", detail: `charge ${chargeId} captured ${captured} and was refunded ${refunded}` });
    }
  }
  return {
    violations,
    checked: { stripeIntents: [...intentsByPayment.values()].reduce((n, ids) => n + ids.length, 0), stripeCharges: charges.length, stripeRefunds: refunds.length },
  };
}
