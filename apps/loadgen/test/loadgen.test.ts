// A small scale-out run for CI: 1 API and 2 worker processes on a scratch database, ~150
// orders of every flow, one worker killed with SIGKILL halfway and replaced; then every order
// must settle and every invariant hold. No timing is asserted (2 shared cores).
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, parseDuration, parseMix } from "../src/options.ts";
import { formatScaleOut, runScaleOut } from "../src/scale-out-scenario.ts";

describe("loadgen options", () => {
  it("parses rate, mix, durations and refuses non-loopback targets", () => {
    const o = parseArgs(["--api", "http://127.0.0.1:3000,http://127.0.0.1:3010/", "--rate", "5", "--mix", "pay=3,abandon=1", "--orders", "10", "--check"], {
      databaseUrl: "postgresql://x",
      jwtSecret: "s",
    });
    expect(o.apis).toEqual(["http://127.0.0.1:3000", "http://127.0.0.1:3010"]);
    expect(o.mix).toEqual({ pay: 3, decline: 0, abandon: 1, cancel: 0, store: 0, refund: 0 });
    expect(o.orders).toBe(10);
    expect(o.durationMs).toBeUndefined();
    expect(o.check).toBe(true);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(() => parseMix("pay=1,teleport=2")).toThrow(/unknown flow/);
    expect(() => parseArgs(["--api", "http://example.com"], { databaseUrl: "", jwtSecret: "" })).toThrow(/loopback/);
  });
});

describe("scale-out (small)", () => {
  it(
    "survives kill -9 of a worker mid-load: every order settles and the invariants hold",
    async () => {
      const lines: string[] = [];
      const options = {
        apis: 1,
        workers: 2,
        orders: 150,
        // Even weights: every flow is drawn many times in 150 orders (the default mix gives
        // "store" and "refund" 5 % each, so a run could miss one by chance).
        mix: { pay: 1, decline: 1, abandon: 1, cancel: 1, store: 1, refund: 1 },
        rate: 10,
        maxInFlight: 100,
        killAt: 0.5,
        paymentTimeoutSeconds: 6,
        settleTimeoutMs: 120_000,
        databaseUrl: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
        redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        jwtSecret: "loadgen-test-secret",
        baseEnv: process.env,
        logDir: join(tmpdir(), `loadgen-test-${process.pid}`),
        log: (line: string) => lines.push(line),
        progress: null,
      };
      const result = await runScaleOut(options);
      const report = formatScaleOut(result, options);
      if (result.ok) rmSync(options.logDir, { recursive: true, force: true });
      else console.error(`${lines.join("\n")}\n${report}\nprocess logs: ${options.logDir}`);
      expect(result.error).toBeNull();
      expect(result.violations).toEqual([]);
      expect(result.killed).not.toBeNull();
      expect(result.replacement).not.toBeNull();
      expect(result.load?.settle?.unsettled).toEqual([]);
      // Every created order was checked, and the run touched every flow.
      expect(result.load?.check?.checked.orders).toBe(result.load?.stats.orders.size);
      expect(result.load?.stats.started.size).toBe(6);
    },
    240_000,
  );
});
