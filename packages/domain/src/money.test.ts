import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DomainValidationError } from "./errors.ts";
import { MAX_ORDER_TOTAL, assertMinorUnits, sumLines } from "./money.ts";

describe("money", () => {
  it("accepts integers ≥ 0 only", () => {
    expect(() => assertMinorUnits(0)).not.toThrow();
    expect(() => assertMinorUnits(12000)).not.toThrow();
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => assertMinorUnits(bad)).toThrow(DomainValidationError);
    }
  });

  it("sums lines exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ unitPrice: fc.integer({ min: 0, max: 10_000_000 }), quantity: fc.integer({ min: 1, max: 99 }) }), {
          maxLength: 50,
        }),
        (lines) => {
          expect(sumLines(lines)).toBe(lines.reduce((s, l) => s + l.unitPrice * l.quantity, 0));
        },
      ),
    );
    expect(() => sumLines([{ unitPrice: 1.5, quantity: 2 }])).toThrow(DomainValidationError);
  });

  it("refuses an order total above 10^12", () => {
    expect(sumLines([{ unitPrice: MAX_ORDER_TOTAL / 4, quantity: 4 }])).toBe(MAX_ORDER_TOTAL);
    expect(() => sumLines([{ unitPrice: MAX_ORDER_TOTAL / 4, quantity: 4 }, { unitPrice: 1, quantity: 1 }])).toThrow(
      DomainValidationError,
    );
  });
});
