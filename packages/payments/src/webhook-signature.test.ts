import { describe, expect, it } from "vitest";
import { parseSignatureHeader, signWebhook, verifyWebhookSignature } from "./webhook-signature.ts";

const SECRET = "whsec_test";
const BODY = JSON.stringify({ eventId: "e-1", paymentId: "p-1", status: "PAID", amount: 24000 });
const NOW = 1_790_000_000;

describe("webhook signatures", () => {
  it("signs as t=<t>,v1=<hex> and verifies its own signature", () => {
    const header = signWebhook(BODY, SECRET, NOW);
    expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(BODY, header, SECRET, NOW)).toBe(true);
    expect(verifyWebhookSignature(BODY, header, SECRET, NOW + 300)).toBe(true);
    expect(verifyWebhookSignature(BODY, header, SECRET, NOW - 300)).toBe(true);
  });

  it("matches an independently computed HMAC of '<t>.<body>'", async () => {
    const { createHmac } = await import("node:crypto");
    const hex = createHmac("sha256", SECRET).update(`${NOW}.${BODY}`).digest("hex");
    expect(signWebhook(BODY, SECRET, NOW)).toBe(`t=${NOW},v1=${hex}`);
  });

  it("rejects a tampered body", () => {
    const header = signWebhook(BODY, SECRET, NOW);
    expect(verifyWebhookSignature(BODY.replace("24000", "1"), header, SECRET, NOW)).toBe(false);
    expect(verifyWebhookSignature(`${BODY} `, header, SECRET, NOW)).toBe(false);
  });

  it("rejects a stale or future timestamp beyond the tolerance", () => {
    const header = signWebhook(BODY, SECRET, NOW);
    expect(verifyWebhookSignature(BODY, header, SECRET, NOW + 301)).toBe(false);
    expect(verifyWebhookSignature(BODY, header, SECRET, NOW - 301)).toBe(false);
    expect(verifyWebhookSignature(BODY, header, SECRET, NOW + 10, 5)).toBe(false);
  });

  it("rejects a wrong secret", () => {
    expect(verifyWebhookSignature(BODY, signWebhook(BODY, "other", NOW), SECRET, NOW)).toBe(false);
  });

  it("rejects a timestamp swapped into a valid signature", () => {
    const [, v1] = signWebhook(BODY, SECRET, NOW).split(",");
    expect(verifyWebhookSignature(BODY, `t=${NOW + 1},${v1}`, SECRET, NOW)).toBe(false);
  });

  it("returns false for malformed headers without throwing", () => {
    const good = signWebhook(BODY, SECRET, NOW);
    const hex = good.split("v1=")[1]!;
    for (const header of [
      undefined,
      null,
      "",
      "garbage",
      "t=,v1=",
      `v1=${hex}`,
      `t=${NOW}`,
      `t=abc,v1=${hex}`,
      `t=${NOW},v1=zz${hex.slice(2)}`,
      `t=${NOW},v1=${hex.slice(0, 10)}`,
      `t=-${NOW},v1=${hex}`,
      `t=${NOW}.5,v1=${hex}`,
      "x".repeat(10_000),
    ]) {
      expect(verifyWebhookSignature(BODY, header, SECRET, NOW)).toBe(false);
    }
  });

  it("parses tolerantly: spaces, order, unknown parts, several v1 values", () => {
    const hex = signWebhook(BODY, SECRET, NOW).split("v1=")[1]!;
    expect(verifyWebhookSignature(BODY, ` v1=${hex} , t=${NOW} `, SECRET, NOW)).toBe(true);
    expect(verifyWebhookSignature(BODY, `t=${NOW},v0=abc,v1=${"0".repeat(64)},v1=${hex}`, SECRET, NOW)).toBe(true);
    expect(parseSignatureHeader(`t=${NOW},v1=a,v1=b`)).toEqual({ t: NOW, v1: ["a", "b"] });
  });
});
