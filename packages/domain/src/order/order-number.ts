import { DomainValidationError } from "../errors.ts";

/** Crockford base32: digits and letters without I, L, O, U. */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const ORDER_NUMBER_RANDOM_BYTES = 6;

/** ORD-YYYYMMDD-XXXXXX, the date in UTC, the suffix Crockford base32. */
export const ORDER_NUMBER_PATTERN = /^ORD-\d{8}-[0-9A-HJKMNP-TV-Z]{6}$/;

/**
 * A human-readable order number: sortable by day (UTC), not guessable (30 random bits from
 * the caller's random bytes: the low 5 bits of each of the first 6 bytes). Uniqueness is the
 * database's unique constraint; the caller retries with fresh bytes on a clash.
 */
export function generateOrderNumber(now: Date, random: Uint8Array): string {
  if (Number.isNaN(now.getTime())) throw new DomainValidationError("now", "must be a valid date");
  if (random.length < ORDER_NUMBER_RANDOM_BYTES) {
    throw new DomainValidationError("random", `needs at least ${ORDER_NUMBER_RANDOM_BYTES} bytes`);
  }
  const y = String(now.getUTCFullYear()).padStart(4, "0");
  const m = String(now.getUTCMonth() + 1).padStart(2, "0");
  const d = String(now.getUTCDate()).padStart(2, "0");
  let suffix = "";
  for (let i = 0; i < ORDER_NUMBER_RANDOM_BYTES; i++) {
    suffix += CROCKFORD[(random[i] ?? 0) & 31];
  }
  return `ORD-${y}${m}${d}-${suffix}`;
}
