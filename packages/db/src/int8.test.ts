import { describe, expect, it } from "vitest";
import { int8ToNumber } from "./int8.ts";

describe("BIGINT as a number", () => {
  it("reads exact values as PostgreSQL's text, Prisma's bigint or a number", () => {
    expect(int8ToNumber("2147483648")).toBe(2 ** 31);
    expect(int8ToNumber(1_000_000_000_000n)).toBe(1e12);
    expect(int8ToNumber(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(int8ToNumber(-5)).toBe(-5);
  });

  it("refuses a value that a number cannot hold exactly", () => {
    expect(() => int8ToNumber("9007199254740993")).toThrow(RangeError);
    expect(() => int8ToNumber(2n ** 63n - 1n)).toThrow(RangeError);
  });
});
