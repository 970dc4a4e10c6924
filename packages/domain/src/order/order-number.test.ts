import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainValidationError } from "../errors.ts";
import { ORDER_NUMBER_PATTERN, generateOrderNumber } from "./order-number.ts";

describe("generateOrderNumber", () => {
  it("formats ORD-YYYYMMDD-XXXXXX in UTC", () => {
    const n = generateOrderNumber(new Date("2026-11-24T23:59:59.999Z"), new Uint8Array([0, 1, 2, 31, 32, 255]));
    expect(n).toBe("ORD-20261124-012Z0Z");
    expect(n).toMatch(ORDER_NUMBER_PATTERN);
    expect(generateOrderNumber(new Date("2026-01-02T00:00:00Z"), new Uint8Array(6))).toBe("ORD-20260102-000000");
  });

  it("always matches the pattern and never uses I, L, O, U", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.uint8Array({ minLength: 6, maxLength: 16 }),
        (d, bytes) => {
          const n = generateOrderNumber(d, bytes);
          expect(n).toMatch(ORDER_NUMBER_PATTERN);
          expect(n.slice(13)).not.toMatch(/[ILOU]/);
        },
      ),
    );
  });

  it("sorts by day", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        (a, b, ra, rb) => {
          const dayA = a.toISOString().slice(0, 10);
          const dayB = b.toISOString().slice(0, 10);
          fc.pre(dayA !== dayB);
          expect(generateOrderNumber(a, ra) < generateOrderNumber(b, rb)).toBe(dayA < dayB);
        },
      ),
    );
  });

  it("differs for distinct random bytes (in the 5 bits of each byte it uses)", () => {
    const now = new Date("2026-11-24T10:00:00Z");
    const low5 = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => b.map((x) => x & 31));
    fc.assert(
      fc.property(low5, low5, (a, b) => {
        fc.pre(a.some((x, i) => x !== b[i]));
        expect(generateOrderNumber(now, a)).not.toBe(generateOrderNumber(now, b));
      }),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const bytes = new Uint8Array([i & 31, (i >> 5) & 31, (i >> 10) & 31, 7, 9, 11]);
      seen.add(generateOrderNumber(now, bytes));
    }
    expect(seen.size).toBe(1000);
  });

  it("needs 6 random bytes", () => {
    expect(() => generateOrderNumber(new Date(), new Uint8Array(5))).toThrow(DomainValidationError);
  });
});
