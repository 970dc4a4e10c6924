// One load run: seed, drive flows at the chosen rate (open loop, bounded in flight), then
// optionally settle and check. Returns everything the CLI, the scale-out script and tests need.
import pg from "pg";
import { ApiClient } from "./api-client.ts";
import { checkInvariants, type CheckReport } from "./check-invariants.ts";
import { checkStripeBooks } from "./check-stripe-books.ts";
import { runFlow, type FlowContext } from "./flows.ts";
import { FLOWS, type Flow, type LoadOptions, type Mix } from "./options.ts";
import { Progress } from "./report.ts";
import { waitUntilSettled, type SettleResult } from "./settle.ts";
import { waitForStockFollowUps } from "./stock-follow-ups.ts";
import { Stats } from "./stats.ts";
import { createRng, seedWorld, type World } from "./world.ts";

export type LoadResult = {
  stats: Stats;
  world: World;
  settle: SettleResult | null;
  check: CheckReport | null;
  timings: { loadMs: number; settleMs: number; checkMs: number };
  /** true when --check found nothing wrong (always true without --check) */
  ok: boolean;
};

export type LoadHooks = {
  /** called after each order is created (e.g. to kill a worker halfway) */
  onOrderCreated?: (count: number) => void;
  /** where the progress line goes (default stderr); null for none */
  progress?: NodeJS.WriteStream | null;
  log?: (line: string) => void;
};

/** The run's payments, to find their intents in the gateway's books. */
async function paymentIdsOf(databaseUrl: string, orderIds: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>("SELECT id FROM p_payment WHERE order_id = ANY($1::uuid[])", [orderIds]);
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function flowPicker(mix: Mix, rng: () => number): () => Flow {
  const total = FLOWS.reduce((sum, f) => sum + mix[f], 0);
  return () => {
    let r = rng() * total;
    for (const f of FLOWS) {
      r -= mix[f];
      if (r < 0 && mix[f] > 0) return f;
    }
    return FLOWS.find((f) => mix[f] > 0)!;
  };
}

export async function runLoad(options: LoadOptions, hooks: LoadHooks = {}): Promise<LoadResult> {
  const stats = new Stats();
  const log = hooks.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const api = new ApiClient(options.apis, {
    onError: (route, what) => stats.error(`${route} → ${what}`),
    onRetry: (route, why) => stats.retry(`${route} (${why})`),
    onLatency: (route, ms) => {
      if (route === "POST /orders") stats.createLatencies.push(ms);
      let list = stats.routeLatencies.get(route);
      if (!list) stats.routeLatencies.set(route, (list = []));
      list.push(ms);
    },
  });
  const rng = createRng(options.seed);
  const world = await seedWorld(api, { ...options, rng });
  log(
    `loadgen: seed ${options.seed}; ${world.stores.length} store(s) × ${options.products} product(s) at ${options.stock} units, ` +
      `${world.customers.length} customers; ${options.rate}/s against ${options.apis.join(", ")}`,
  );
  const ctx: FlowContext = { api, stats, world, rng, ...(options.stripeApiBase ? { stripeApiBase: options.stripeApiBase } : {}) };
  const nextFlow = flowPicker(options.mix, rng);
  const progress = hooks.progress === null ? null : new Progress(stats, hooks.progress ?? process.stderr, { plain: options.plain ?? false });
  progress?.start();

  // Open loop: arrival i is due at start + i/rate whatever the system's speed; only the
  // in-flight cap holds an arrival back (counted as a late start).
  const loadStart = Date.now();
  const intervalMs = 1000 / options.rate;
  const running = new Set<Promise<void>>();
  let slotFreed: (() => void) | null = null;
  let createdSeen = 0;
  for (let i = 0; ; i++) {
    if (options.orders !== undefined && i >= options.orders) break;
    const due = loadStart + i * intervalMs;
    if (options.durationMs !== undefined && due - loadStart >= options.durationMs) break;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    if (running.size >= options.maxInFlight) {
      stats.lateStarts++;
      while (running.size >= options.maxInFlight) await new Promise<void>((resolve) => (slotFreed = resolve));
    }
    stats.arrivals++;
    stats.inFlight++;
    const p: Promise<void> = runFlow(ctx, nextFlow()).finally(() => {
      stats.inFlight--;
      running.delete(p);
      const free = slotFreed;
      slotFreed = null;
      free?.();
      if (stats.orders.size !== createdSeen) {
        createdSeen = stats.orders.size;
        hooks.onOrderCreated?.(createdSeen);
      }
    });
    running.add(p);
    // Creation counts move on between arrivals too (the hook wants "halfway" promptly).
    if (stats.orders.size !== createdSeen) {
      createdSeen = stats.orders.size;
      hooks.onOrderCreated?.(createdSeen);
    }
  }
  await Promise.all(running);
  stats.finishedAt = Date.now();
  const loadMs = stats.finishedAt - loadStart;
  progress?.stop();

  let settle: SettleResult | null = null;
  let check: CheckReport | null = null;
  let settleMs = 0;
  let checkMs = 0;
  if (options.check) {
    const latestDeadline = Math.max(0, ...[...stats.orders.values()].filter((o) => o.flow === "abandon").map((o) => o.expiresAt));
    if (latestDeadline > Date.now() + options.settleTimeoutMs) {
      log(
        `loadgen: warning: abandoned orders time out at ${new Date(latestDeadline).toISOString()}, after --settle-timeout; ` +
          "run the API/worker with a short ORDER_PAYMENT_TIMEOUT_SECONDS",
      );
    }
    log(`loadgen: waiting for ${stats.orders.size} orders to settle (up to ${options.settleTimeoutMs / 1000}s)…`);
    let lastLog = 0;
    settle = await waitUntilSettled(api, stats.orders.values(), {
      timeoutMs: options.settleTimeoutMs,
      onRound: (pending) => {
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          log(`loadgen: ${pending} order(s) not settled yet`);
        }
      },
    });
    const orders = [...stats.orders.values()];
    // Bounded by a stalled job's lock (30 s) plus a sweep; the check reports what is left.
    await waitForStockFollowUps(options.databaseUrl, orders.map((o) => o.id), 60_000);
    settleMs = settle.elapsedMs;
    const checkStart = Date.now();
    check = await checkInvariants({
      databaseUrl: options.databaseUrl,
      api,
      token: world.adminToken,
      products: world.stores.flatMap((s) => s.products),
      orderIds: orders.map((o) => o.id),
      customerIds: world.customers.map((c) => c.id),
      ambiguousCreates: stats.ambiguousCreates,
      unsettled: settle.unsettled,
      paidInTimeIds: orders.filter((o) => o.paidInTime).map((o) => o.id),
    });
    if (options.stripeApiBase) {
      const books = await checkStripeBooks(options.stripeApiBase, await paymentIdsOf(options.databaseUrl, orders.map((o) => o.id)));
      check.violations.push(...books.violations);
      Object.assign(check.checked, books.checked);
    }
    checkMs = Date.now() - checkStart;
  }
  return {
    stats,
    world,
    settle,
    check,
    timings: { loadMs, settleMs, checkMs },
    ok: check ? check.violations.length === 0 : true,
  };
}
