import { describe, expect, it } from "vitest";
import { productionProblems } from "./production-rules.ts";

const strong = { JWT_SECRET: "j".repeat(32), PAYMENT_WEBHOOK_SECRET: "w".repeat(32) };

describe("production rules", () => {
  it("hold nothing against development", () => {
    expect(productionProblems({})).toEqual([]);
    expect(productionProblems({ NODE_ENV: "test" })).toEqual([]);
  });

  it("let a production sandbox run only on purpose", () => {
    expect(productionProblems({ NODE_ENV: "production", ...strong, ALLOW_SANDBOX_GATEWAY: "true" })).toEqual([]);
    expect(productionProblems({ NODE_ENV: "production", ...strong })).toEqual([expect.stringContaining("ALLOW_SANDBOX_GATEWAY")]);
  });

  it("name every weak secret: unset, development value, short", () => {
    const problems = productionProblems({
      NODE_ENV: "production",
      JWT_SECRET: "dev-only-jwt-secret-change-me",
      PAYMENT_WEBHOOK_SECRET: "w".repeat(31),
      ALLOW_SANDBOX_GATEWAY: "true",
    });
    expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET .*development/), expect.stringMatching(/^PAYMENT_WEBHOOK_SECRET .*32/)]);
    expect(productionProblems({ NODE_ENV: "production", ALLOW_SANDBOX_GATEWAY: "true" })).toEqual([
      "JWT_SECRET is not set",
      "PAYMENT_WEBHOOK_SECRET is not set",
    ]);
  });

  it("require the Stripe gateway's own two secrets", () => {
    const base = { NODE_ENV: "production", ...strong, PAYMENT_GATEWAY: "stripe" };
    expect(productionProblems(base)).toEqual(["STRIPE_SECRET_KEY is not set", "STRIPE_WEBHOOK_SECRET is not set"]);
    expect(productionProblems({ ...base, STRIPE_SECRET_KEY: `sk_test_${"k".repeat(40)}`, STRIPE_WEBHOOK_SECRET: `whsec_${"s".repeat(40)}` })).toEqual([]);
  });
});
