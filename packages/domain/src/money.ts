import { DomainValidationError } from "./errors.ts";

/** API.md's limits: a catalog price, and an order's total (above it: VALIDATION_FAILED). */
export const MAX_PRICE = 1_000_000_000;
export const MAX_ORDER_TOTAL = 1_000_000_000_000;

/** An amount of money as an integer number of minor currency units (KRW: won). */
export type Money = number;

/** Throws DomainValidationError unless n is a safe integer ≥ 0. */
export function assertMinorUnits(n: number, path = "amount"): asserts n is Money {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new DomainValidationError(path, `must be an integer ≥ 0 in minor units, got ${n}`);
  }
}

/** Σ unitPrice × quantity, checked to stay a safe integer and within MAX_ORDER_TOTAL. */
export function sumLines(items: readonly { unitPrice: number; quantity: number }[]): Money {
  let total = 0;
  items.forEach((item, i) => {
    assertMinorUnits(item.unitPrice, `items[${i}].unitPrice`);
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 0) {
      throw new DomainValidationError(`items[${i}].quantity`, "must be an integer ≥ 0");
    }
    total += item.unitPrice * item.quantity;
  });
  assertMinorUnits(total, "totalAmount");
  if (total > MAX_ORDER_TOTAL) {
    throw new DomainValidationError("totalAmount", `the order total ${total} is above the limit of ${MAX_ORDER_TOTAL}`);
  }
  return total;
}
