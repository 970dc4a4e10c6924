/**
 * BIGINT (money) columns as JavaScript numbers. The API's limits keep every amount at or below
 * 10^12, far under 2^53, so a number is exact; a value past Number.MAX_SAFE_INTEGER would be
 * silently rounded, so it throws instead.
 */
export function int8ToNumber(value: bigint | number | string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT value ${String(value)} is outside the safe integer range`);
  return n;
}
