import { createHmac, timingSafeEqual } from "node:crypto";

function hmacHex(secret: string, unixSeconds: number, rawBody: string): string {
  return createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`).digest("hex");
}

/** The X-Signature header value for a webhook body: "t=<t>,v1=<hex HMAC-SHA256 of '<t>.<body>'>". */
export function signWebhook(rawBody: string, secret: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

/**
 * Parses "t=…,v1=…" tolerantly: any order, spaces around parts, extra unknown parts, several v1
 * values (key rotation). Null when t is missing or not an integer, or no v1 is present.
 */
export function parseSignatureHeader(header: string): { t: number; v1: string[] } | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") {
      if (!/^\d{1,15}$/.test(value)) return null;
      t = Number(value);
    } else if (key === "v1" && value !== "") {
      v1.push(value);
    }
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

/**
 * True when the header carries a v1 HMAC of "<t>.<rawBody>" under the secret and t is within
 * toleranceSeconds of now. Constant-time comparison; false on anything malformed.
 */
export function verifyWebhookSignature(
  rawBody: string,
  header: string | null | undefined,
  secret: string,
  nowUnixSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (typeof header !== "string" || header.length === 0 || header.length > 4096) return false;
  if (typeof rawBody !== "string" || secret.length === 0) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(nowUnixSeconds - parsed.t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, parsed.t, rawBody), "hex");
  let ok = false;
  for (const candidate of parsed.v1) {
    if (!/^[0-9a-fA-F]{64}$/.test(candidate)) continue;
    const given = Buffer.from(candidate, "hex");
    // Compare every candidate (no early exit) so timing does not tell which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}
