// Command-line options of `pnpm loadgen`, parsed into a typed, validated shape.

export const FLOWS = ["pay", "decline", "abandon", "cancel", "store", "refund"] as const;
export type Flow = (typeof FLOWS)[number];
export type Mix = Record<Flow, number>;

export const DEFAULT_MIX: Mix = { pay: 60, decline: 10, abandon: 10, cancel: 10, store: 5, refund: 5 };

export type LoadOptions = {
  /** API base URLs, used round-robin */
  apis: string[];
  /** arrivals per second (open loop) */
  rate: number;
  /** stop creating orders after this many ms … */
  durationMs?: number;
  /** … or after this many orders (whichever is given; both: the first reached) */
  orders?: number;
  mix: Mix;
  /** flows running at once; an arrival waits for a slot beyond it */
  maxInFlight: number;
  stores: number;
  /** products per store */
  products: number;
  /** initial onHand of every product */
  stock: number;
  customers: number;
  /** wait for every order to settle and verify the invariants */
  check: boolean;
  /** how long --check waits for orders to settle */
  settleTimeoutMs: number;
  databaseUrl: string;
  jwtSecret: string;
  /** deterministic choices (flows, products) for a given seed */
  seed: number;
  /** force plain periodic lines instead of a redrawn progress line */
  plain?: boolean;
  /**
   * The API runs PAYMENT_GATEWAY=stripe against this local Stripe-compatible server: customers
   * pay by confirming their intent there, and --check also reads its books.
   */
  stripeApiBase?: string;
};

export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `usage: npm run loadgen -- [options]   (or pnpm loadgen [options])
  --api URL[,URL…]        API base URLs, round-robin (default http://127.0.0.1:3000)
  --rate N                orders per second, open loop (default 20)
  --duration 30s|2m|500ms how long to create orders (default 30s unless --orders)
  --orders N              how many orders to create
  --mix pay=60,decline=10,abandon=10,cancel=10,store=5,refund=5   relative weights
  --max-in-flight N       flows running at once (default 200)
  --stores N              stores to seed (default 2)
  --products N            products per store (default 5)
  --stock N               initial onHand of each product (default 100000)
  --customers N           simulated customers (default 200)
  --check                 wait until every order settles, then verify the invariants
  --settle-timeout 120s   how long --check waits for orders to settle
  --database-url URL      PostgreSQL for --check (default DATABASE_URL)
  --seed N                random seed (default: time based)
  --stripe URL            the API uses the Stripe gateway against this local Stripe-compatible
                          server: pay by confirming intents there; --check reads its books
  --plain                 periodic progress lines even on a terminal`;

/** "30s", "2m", "500ms", "1h" or a bare number of seconds, in ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`bad duration: ${text}`);
  const unit = m[2] ?? "s";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(Number(m[1]) * factor);
}

/** "pay=60,decline=10" → weights; flows left out weigh 0. */
export function parseMix(text: string): Mix {
  const mix: Mix = { pay: 0, decline: 0, abandon: 0, cancel: 0, store: 0, refund: 0 };
  for (const part of text.split(",").filter(Boolean)) {
    const [name, value] = part.split("=");
    if (!name || !(FLOWS as readonly string[]).includes(name.trim())) {
      throw new UsageError(`unknown flow in --mix: ${part} (flows: ${FLOWS.join(", ")})`);
    }
    const weight = Number(value);
    if (!Number.isFinite(weight) || weight < 0) throw new UsageError(`bad weight in --mix: ${part}`);
    mix[name.trim() as Flow] = weight;
  }
  if (FLOWS.every((f) => mix[f] === 0)) throw new UsageError("--mix gives every flow weight 0");
  return mix;
}

function positiveInt(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} needs a positive integer, got ${text}`);
  return n;
}

export function parseArgs(
  argv: string[],
  defaults: { databaseUrl: string; jwtSecret: string },
): LoadOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const BOOLEAN = new Set(["--check", "--plain", "--help"]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue;
    const eq = arg.indexOf("=");
    const [name, inline] = arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (BOOLEAN.has(name)) {
      flags.add(name);
    } else if (name.startsWith("--")) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unexpected argument: ${arg}`);
    }
  }
  if (flags.has("--help")) throw new UsageError(USAGE);
  const known = new Set([
    "--api", "--rate", "--duration", "--orders", "--mix", "--max-in-flight", "--stores", "--products",
    "--stock", "--customers", "--settle-timeout", "--database-url", "--seed", "--stripe",
  ]);
  for (const name of values.keys()) if (!known.has(name)) throw new UsageError(`unknown option ${name}\n${USAGE}`);

  const apis = (values.get("--api") ?? "http://127.0.0.1:3000")
    .split(",")
    .map((s) => s.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  const stripeApiBase = values.get("--stripe")?.trim().replace(/\/+$/, "");
  for (const api of [...apis, ...(stripeApiBase ? [stripeApiBase] : [])]) {
    const host = new URL(api).hostname;
    // Load is only ever aimed at this machine.
    if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) throw new UsageError(`--api and --stripe must be loopback, got ${api}`);
  }
  const rate = Number(values.get("--rate") ?? 20);
  if (!(rate > 0) || rate > 5000) throw new UsageError("--rate must be in (0, 5000]");
  const orders = values.has("--orders") ? positiveInt("--orders", values.get("--orders")) : undefined;
  const durationMs = values.has("--duration")
    ? parseDuration(values.get("--duration")!)
    : orders === undefined
      ? 30_000
      : undefined;
  return {
    apis,
    rate,
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(orders !== undefined ? { orders } : {}),
    mix: values.has("--mix") ? parseMix(values.get("--mix")!) : { ...DEFAULT_MIX },
    maxInFlight: positiveInt("--max-in-flight", values.get("--max-in-flight") ?? "200"),
    stores: positiveInt("--stores", values.get("--stores") ?? "2"),
    products: positiveInt("--products", values.get("--products") ?? "5"),
    stock: positiveInt("--stock", values.get("--stock") ?? "100000"),
    customers: positiveInt("--customers", values.get("--customers") ?? "200"),
    check: flags.has("--check"),
    settleTimeoutMs: parseDuration(values.get("--settle-timeout") ?? "120s"),
    databaseUrl: values.get("--database-url") ?? defaults.databaseUrl,
    jwtSecret: defaults.jwtSecret,
    seed: values.has("--seed") ? Number(values.get("--seed")) : Date.now() % 2 ** 31,
    plain: flags.has("--plain"),
    ...(stripeApiBase ? { stripeApiBase } : {}),
  };
}
