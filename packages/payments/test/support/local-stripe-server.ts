// A small Stripe-compatible server for tests with no internet: the SDK is pointed at it through
// STRIPE_API_BASE. It keeps books of what it was asked (intents, charges, refunds, requests),
// replays idempotency keys as Stripe does, can be told to answer 500 or 429 a number of times,
// and sends webhook events signed with the SDK's own test-header helper. Every object it
// returns is typed with the SDK's types, so the compiler holds it to Stripe's shapes.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import Stripe from "stripe";

export type WebhookTarget = string | ((rawBody: string, signature: string) => Promise<number>);

export type LocalStripeServerOptions = {
  webhookSecret: string;
  /** where events are posted: a URL (as Stripe does) or a function (an in-process app) */
  webhookTarget?: WebhookTarget;
  port?: number;
};

export type StripeRequestRecord = {
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number;
  replayed: boolean;
};

type FaultPath = "/v1/payment_intents" | "/v1/refunds";
/** The events this server sends (a two-member union: Stripe.Event has hundreds, slow to check). */
export type PaymentIntentEvent = Stripe.PaymentIntentSucceededEvent | Stripe.PaymentIntentPaymentFailedEvent;
type Answer = { status: number; body: unknown };
type Params = Record<string, unknown>;

/** Test cards as Stripe's test mode knows them: pm_card_visa succeeds, these decline. */
const DECLINING_CARDS = new Set(["pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"]);

const now = () => Math.floor(Date.now() / 1000);
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

/** `metadata[orderId]=…&amount=5` → { metadata: { orderId: … }, amount: "5" } */
function parseForm(raw: string): Params {
  const out: Params = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const parts = key.split(/[[\]]+/).filter(Boolean);
    let node = out;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Params;
    });
  }
  return out;
}

function stripeError(status: number, type: string, message: string, code?: string): Answer {
  return { status, body: { error: { type, message, ...(code ? { code } : {}) } } };
}

export class LocalStripeServer {
  readonly intents = new Map<string, Stripe.PaymentIntent>();
  readonly charges = new Map<string, Stripe.Charge>();
  readonly refunds = new Map<string, Stripe.Refund>();
  readonly events: PaymentIntentEvent[] = [];
  readonly requests: StripeRequestRecord[] = [];
  /** webhook deliveries: event id and the status the endpoint answered (0: unreachable) */
  readonly deliveries: { eventId: string; status: number }[] = [];
  webhookTarget: WebhookTarget | undefined;
  #refusal: string | null = null;
  readonly #faults = new Map<FaultPath, { status: 500 | 429; times: number }>();
  readonly #idempotency = new Map<string, { fingerprint: string; answer: Answer }>();
  readonly #signer = new Stripe("sk_test_local");
  readonly #server: Server;
  readonly #secret: string;

  private constructor(options: LocalStripeServerOptions) {
    this.#secret = options.webhookSecret;
    this.webhookTarget = options.webhookTarget;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: LocalStripeServerOptions): Promise<LocalStripeServer> {
    const server = new LocalStripeServer(options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once("error", reject);
      server.#server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    return server;
  }

  /** STRIPE_API_BASE for the SDK */
  get url(): string {
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The next `times` calls to this endpoint answer `status` without doing anything. */
  failNext(path: FaultPath, status: 500 | 429, times: number): void {
    this.#faults.set(path, { status, times });
  }

  /** Refuses every refund from now on (as Stripe does, e.g. with an insufficient balance); null stops it. */
  refuseRefunds(message: string | null = "Insufficient balance to refund this charge"): void {
    this.#refusal = message;
  }

  intentOfPayment(paymentId: string): Stripe.PaymentIntent | undefined {
    return [...this.intents.values()].find((i) => i.metadata.paymentId === paymentId);
  }

  refundsOfCharge(chargeId: string): Stripe.Refund[] {
    return [...this.refunds.values()].filter((r) => r.charge === chargeId);
  }

  /** The customer pays (Stripe.js confirming with a test card): a charge, then the signed event. */
  async succeed(intentId: string): Promise<{ event: PaymentIntentEvent; webhookStatus: number }> {
    return this.#confirmAndDeliver(intentId, "pm_card_visa");
  }

  /** The customer's card is declined: a failed charge, then the signed event. */
  async fail(intentId: string): Promise<{ event: PaymentIntentEvent; webhookStatus: number }> {
    return this.#confirmAndDeliver(intentId, "pm_card_chargeDeclined");
  }

  /** Sends an event it sent before again (Stripe redelivers at least once). */
  async resend(eventId: string): Promise<number> {
    const event = this.events.find((e) => e.id === eventId);
    if (!event) throw new Error(`no event ${eventId}`);
    return this.deliver(JSON.stringify(event), event.id);
  }

  /** Signs a raw body with the SDK's test-header helper and posts it to the webhook target. */
  async signedHeader(rawBody: string, secret = this.#secret, timestamp?: number): Promise<string> {
    return this.#signer.webhooks.generateTestHeaderStringAsync({ payload: rawBody, secret, ...(timestamp ? { timestamp } : {}) });
  }

  async deliver(rawBody: string, eventId: string): Promise<number> {
    const target = this.webhookTarget;
    if (!target) return 0;
    let status = 0;
    // Like Stripe, try again when the endpoint is down or fails (briefly: this is a test server).
    for (let attempt = 0; attempt < 5; attempt++) {
      const signature = await this.signedHeader(rawBody);
      try {
        if (typeof target === "function") status = await target(rawBody, signature);
        else {
          const res = await fetch(target, {
            method: "POST",
            headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
            body: rawBody,
          });
          await res.arrayBuffer();
          status = res.status;
        }
      } catch {
        status = 0;
      }
      if (status >= 200 && status < 300) break;
      if (status >= 400 && status < 500) break;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
    this.deliveries.push({ eventId, status });
    return status;
  }

  async #confirmAndDeliver(intentId: string, paymentMethod: string) {
    const { answer, event } = this.#confirm(intentId, { payment_method: paymentMethod });
    if (!event) throw new Error(`could not confirm ${intentId}: ${JSON.stringify(answer.body)}`);
    return { event, webhookStatus: await this.deliver(JSON.stringify(event), event.id) };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://local").pathname;
    const key = typeof req.headers["idempotency-key"] === "string" ? req.headers["idempotency-key"] : null;
    const { answer, replayed, event } = this.#route(method, path, raw, key);
    this.requests.push({ method, path, idempotencyKey: key, status: answer.status, replayed });
    // Unlike Stripe, the event is delivered before the confirm answers, and the answer says how
    // the endpoint took it: a client in another process (the loadgen) knows when it was accepted.
    const webhookStatus = event ? await this.deliver(JSON.stringify(event), event.id) : null;
    res.writeHead(answer.status, {
      "Content-Type": "application/json",
      "Request-Id": newId("req"),
      ...(replayed ? { "Idempotent-Replayed": "true" } : {}),
      ...(webhookStatus !== null ? { "Local-Webhook-Status": String(webhookStatus) } : {}),
    });
    res.end(JSON.stringify(answer.body));
  }

  #route(method: string, path: string, raw: string, key: string | null): { answer: Answer; replayed: boolean; event?: PaymentIntentEvent } {
    if (!path.startsWith("/v1/")) return { answer: stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path})`), replayed: false };
    if (method === "GET") return { answer: this.#read(path), replayed: false };
    const faultPath = path.startsWith("/v1/refunds") ? "/v1/refunds" : path.startsWith("/v1/payment_intents") ? "/v1/payment_intents" : null;
    const fault = faultPath ? this.#faults.get(faultPath) : undefined;
    if (fault && fault.times > 0) {
      fault.times--;
      // Like Stripe, a request that never ran leaves no idempotent result behind.
      return fault.status === 429
        ? { answer: stripeError(429, "invalid_request_error", "Too many requests hit the API too quickly.", "rate_limit"), replayed: false }
        : { answer: stripeError(500, "api_error", "Something went wrong on Stripe's end."), replayed: false };
    }
    const fingerprint = `${method} ${path} ${raw}`;
    const seen = key ? this.#idempotency.get(key) : undefined;
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        return {
          answer: stripeError(400, "idempotency_error", `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}'.`),
          replayed: false,
        };
      }
      return { answer: seen.answer, replayed: true };
    }
    const params = parseForm(raw);
    const result = this.#write(path, params);
    if (key) this.#idempotency.set(key, { fingerprint, answer: result.answer });
    return { ...result, replayed: false };
  }

  #read(path: string): Answer {
    const [, , kind, id] = path.split("/");
    const book = kind === "payment_intents" ? this.intents : kind === "charges" ? this.charges : kind === "refunds" ? this.refunds : null;
    if (!book) return stripeError(404, "invalid_request_error", `Unrecognized request URL (GET: ${path})`);
    if (!id) return { status: 200, body: { object: "list", data: [...book.values()], has_more: false, url: `/v1/${kind}` } };
    const found = book.get(id);
    return found ? { status: 200, body: found } : stripeError(404, "invalid_request_error", `No such ${kind}: '${id}'`, "resource_missing");
  }

  #write(path: string, params: Params): { answer: Answer; event?: PaymentIntentEvent } {
    if (path === "/v1/payment_intents") return { answer: this.#createIntent(params) };
    const confirm = /^\/v1\/payment_intents\/([^/]+)\/confirm$/.exec(path);
    if (confirm) return this.#confirm(confirm[1]!, params);
    if (path === "/v1/refunds") return { answer: this.#createRefund(params) };
    return { answer: stripeError(404, "invalid_request_error", `Unrecognized request URL (POST: ${path})`) };
  }

  #createIntent(params: Params): Answer {
    const amount = Number(params.amount);
    if (!Number.isSafeInteger(amount) || amount < 0) return stripeError(400, "invalid_request_error", "Invalid integer: amount", "parameter_invalid_integer");
    if (typeof params.currency !== "string") return stripeError(400, "invalid_request_error", "Missing required param: currency.", "parameter_missing");
    const id = newId("pi");
    const intent: Stripe.PaymentIntent = {
      id,
      object: "payment_intent",
      allowed_payment_method_types: null,
      amount,
      amount_capturable: 0,
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: { enabled: true },
      canceled_at: null,
      cancellation_reason: null,
      capture_method: "automatic",
      client_secret: `${id}_secret_${randomBytes(12).toString("hex")}`,
      confirmation_method: "automatic",
      created: now(),
      currency: params.currency,
      customer: null,
      customer_account: null,
      description: null,
      excluded_payment_method_types: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      managed_payments: null,
      metadata: { ...((params.metadata as Record<string, string> | undefined) ?? {}) },
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_configuration_details: null,
      payment_method_options: null,
      payment_method_types: ["card"],
      payment_record: null,
      processing: null,
      receipt_email: null,
      review: null,
      setup_future_usage: null,
      shipping: null,
      source: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: "requires_payment_method",
      transfer_group: null,
    };
    this.intents.set(id, intent);
    return { status: 200, body: intent };
  }

  #confirm(intentId: string, params: Params): { answer: Answer; event?: PaymentIntentEvent } {
    const intent = this.intents.get(intentId);
    if (!intent) return { answer: stripeError(404, "invalid_request_error", `No such payment_intent: '${intentId}'`, "resource_missing") };
    if (intent.status !== "requires_payment_method" && intent.status !== "requires_confirmation") {
      return { answer: stripeError(400, "invalid_request_error", `This PaymentIntent's status is ${intent.status}.`, "payment_intent_unexpected_state") };
    }
    const method = typeof params.payment_method === "string" ? params.payment_method : "pm_card_visa";
    const declined = DECLINING_CARDS.has(method);
    const charge = this.#charge(intent, method, declined);
    intent.latest_charge = charge.id;
    intent.payment_method = method;
    if (declined) {
      intent.status = "requires_payment_method";
      intent.last_payment_error = { type: "card_error", code: "card_declined", decline_code: "generic_decline", message: "Your card was declined.", charge: charge.id };
      const event = this.#event("payment_intent.payment_failed", intent);
      return { answer: stripeError(402, "card_error", "Your card was declined.", "card_declined"), event };
    }
    intent.status = "succeeded";
    intent.amount_received = intent.amount;
    intent.last_payment_error = null;
    return { answer: { status: 200, body: intent }, event: this.#event("payment_intent.succeeded", intent) };
  }

  #charge(intent: Stripe.PaymentIntent, paymentMethod: string, declined: boolean): Stripe.Charge {
    const charge: Stripe.Charge = {
      id: newId("ch"),
      object: "charge",
      amount: intent.amount,
      amount_captured: declined ? 0 : intent.amount,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: null,
      billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
      calculated_statement_descriptor: null,
      captured: !declined,
      created: now(),
      currency: intent.currency,
      customer: null,
      description: null,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: declined ? "card_declined" : null,
      failure_message: declined ? "Your card was declined." : null,
      fraud_details: null,
      livemode: false,
      metadata: { ...intent.metadata },
      on_behalf_of: null,
      outcome: null,
      paid: !declined,
      payment_intent: intent.id,
      payment_method: paymentMethod,
      payment_method_details: null,
      receipt_email: null,
      receipt_number: null,
      receipt_url: null,
      refunded: false,
      review: null,
      shipping: null,
      source: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      status: declined ? "failed" : "succeeded",
      transfer_data: null,
      transfer_group: null,
    };
    this.charges.set(charge.id, charge);
    return charge;
  }

  #createRefund(params: Params): Answer {
    const charge = typeof params.charge === "string" ? this.charges.get(params.charge) : undefined;
    if (!charge) return stripeError(400, "invalid_request_error", `No such charge: '${String(params.charge)}'`, "resource_missing");
    const left = charge.amount_captured - charge.amount_refunded;
    const amount = params.amount === undefined ? left : Number(params.amount);
    if (this.#refusal) return stripeError(400, "invalid_request_error", this.#refusal, "balance_insufficient");
    if (left <= 0) return stripeError(400, "invalid_request_error", `Charge ${charge.id} has already been refunded.`, "charge_already_refunded");
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > left) {
      return stripeError(400, "invalid_request_error", `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, "amount_too_large");
    }
    const refund: Stripe.Refund = {
      id: newId("re"),
      object: "refund",
      amount,
      balance_transaction: null,
      charge: charge.id,
      created: now(),
      currency: charge.currency,
      customer: null,
      customer_account: null,
      metadata: { ...((params.metadata as Record<string, string> | undefined) ?? {}) },
      payment_intent: typeof charge.payment_intent === "string" ? charge.payment_intent : null,
      payment_method: charge.payment_method,
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: "succeeded",
      transfer_reversal: null,
    };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
    this.refunds.set(refund.id, refund);
    return { status: 200, body: refund };
  }

  #event(type: PaymentIntentEvent["type"], intent: Stripe.PaymentIntent): PaymentIntentEvent {
    const event: PaymentIntentEvent = {
      id: newId("evt"),
      object: "event",
      api_version: null,
      created: now(),
      data: { object: structuredClone(intent) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.events.push(event);
    return event;
  }
}
