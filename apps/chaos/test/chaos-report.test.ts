import { describe, expect, it } from "vitest";
import { parseChaosArgs } from "../src/args.ts";
import { formatTable } from "../src/report.ts";
import { classify, reportTimingOnly, type ScenarioResult } from "../src/scenarios.ts";

const row = (over: Partial<ScenarioResult>): ScenarioResult => ({
  name: "kill-worker",
  fault: "kill -9 a worker",
  count: 5,
  inFlight: 40,
  orders: 300,
  lost: 0,
  duplicated: 0,
  violations: [],
  notes: [],
  durationMs: 61_000,
  ...over,
});

describe("chaos report", () => {
  it("parses --only, --quick and --seed, and refuses unknown scenarios", () => {
    expect(parseChaosArgs(["--quick", "--only", "a,b", "--seed=7"], ["a", "b"])).toEqual({ only: ["a", "b"], quick: true, seed: 7, keepLogs: false, reportTiming: false, deadlineBurst: null });
    expect(parseChaosArgs([], ["a"], 42)).toEqual({ only: null, quick: false, seed: 42, keepLogs: false, reportTiming: false, deadlineBurst: null });
    expect(() => parseChaosArgs(["--only", "zzz"], ["a"])).toThrow(/unknown scenario/);
    expect(() => parseChaosArgs(["--bogus"], ["a"])).toThrow(/unexpected argument/);
  });

  it("parses --report-timing and --deadline-burst", () => {
    expect(parseChaosArgs(["--report-timing", "--deadline-burst", "300"], ["a"], 1)).toMatchObject({ reportTiming: true, deadlineBurst: 300 });
    expect(parseChaosArgs(["--deadline-burst=50"], ["a"], 1).deadlineBurst).toBe(50);
    expect(() => parseChaosArgs(["--deadline-burst", "0"], ["a"])).toThrow(/positive integer/);
  });

  it("with --report-timing, a missed timing target is a note while loss, duplication and oversell still fail", () => {
    const result = reportTimingOnly(
      row({
        violations: [
          { rule: "503 within 100 ms", detail: "POST /orders took 140 ms" },
          { rule: "exits within 10 s of SIGTERM", detail: "api-1 took 11000 ms" },
          { rule: "every order settles", detail: "order o is PAYMENT_PENDING" },
          { rule: "no duplicate effects", detail: "order o has 2 ORDER_CONFIRMED entries" },
          { rule: "no oversell", detail: "product p: available -1 < 0" },
        ],
      }),
    );
    expect(result.violations.map((v) => v.rule)).toEqual(["every order settles", "no duplicate effects", "no oversell"]);
    expect(result.notes).toEqual([
      "timing target missed (reported, not failed): 503 within 100 ms: POST /orders took 140 ms",
      "timing target missed (reported, not failed): exits within 10 s of SIGTERM: api-1 took 11000 ms",
    ]);
  });

  it("counts lost and duplicated effects by rule", () => {
    expect(
      classify([
        { rule: "every order settles", detail: "x" },
        { rule: "no refund twice", detail: "x" },
        { rule: "every event audited once", detail: "OrderCreated e of order o has 2 audit entries" },
        { rule: "every event audited once", detail: "OrderCreated e of order o has 0 audit entries" },
        { rule: "503 within 100 ms", detail: "x" },
      ]),
    ).toEqual({ lost: 2, duplicated: 2 });
  });

  it("prints one row per scenario with its verdict", () => {
    const table = formatTable([row({}), row({ name: "x", fault: "Redis stopped", violations: [{ rule: "r", detail: "d" }] })]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/fault .*count .*orders in flight .*lost .*duplicated .*violations .*verdict/);
    expect(lines[2]).toMatch(/kill -9 a worker .*\| 5 .*\| 40 .*PASS/);
    expect(lines[3]).toMatch(/Redis stopped .*FAIL/);
  });
});
