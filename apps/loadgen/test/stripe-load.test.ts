// The scale-out run with PAYMENT_GATEWAY=stripe: real API and worker processes talk to a local
// Stripe-compatible server through Stripe's SDK; customers pay by confirming their intents; a
// worker is killed halfway. Every order must settle, every invariant hold, and the gateway's
// books show one intent per payment and no charge refunded beyond its capture.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../src/options.ts";
import { formatScaleOut, runScaleOut } from "../src/scale-out-scenario.ts";

describe("loadgen with the Stripe gateway", () => {
  it("takes --stripe as a loopback URL only", () => {
    const defaults = { databaseUrl: "postgresql://x", jwtSecret: "s" };
    expect(parseArgs(["--stripe", "http://127.0.0.1:12111/"], defaults).stripeApiBase).toBe("http://127.0.0.1:12111");
    expect(parseArgs([], defaults).stripeApiBase).toBeUndefined();
    expect(() => parseArgs(["--stripe", "https://api.stripe.com"], defaults)).toThrow(/loopback/);
  });

  it(
    "settles every flow with the invariants and the gateway's books intact, through a worker's kill -9",
    async () => {
      const lines: string[] = [];
      const options = {
        apis: 1,
        workers: 2,
        orders: 60,
        mix: { pay: 1, decline: 1, abandon: 1, cancel: 1, store: 1, refund: 1 },
        rate: 6,
        maxInFlight: 60,
        killAt: 0.5,
        paymentTimeoutSeconds: 6,
        settleTimeoutMs: 120_000,
        databaseUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
        redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        jwtSecret: "loadgen-stripe-test-secret",
        baseEnv: process.env,
        logDir: join(tmpdir(), `loadgen-stripe-test-${process.pid}`),
        log: (line: string) => lines.push(line),
        progress: null,
        stripe: true,
      };
      const result = await runScaleOut(options);
      const report = formatScaleOut(result, options);
      if (result.ok) rmSync(options.logDir, { recursive: true, force: true });
      else console.error(`${lines.join("\n")}\n${report}\nprocess logs: ${options.logDir}`);
      expect(result.error).toBeNull();
      expect(result.violations).toEqual([]);
      expect(result.load?.settle?.unsettled).toEqual([]);
      expect(result.load?.check?.checked.orders).toBe(result.load?.stats.orders.size);
      // The books were read and held intents and refunds of this run.
      expect(result.load?.check?.checked.stripeIntents).toBeGreaterThan(0);
      expect(result.load?.check?.checked.stripeRefunds).toBeGreaterThan(0);
    },
    300_000,
  );
});
