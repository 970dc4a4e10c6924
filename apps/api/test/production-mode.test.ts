import { describe, expect, it } from "vitest";
import { API_ENTRY, START_WAIT_MS, WORKER_ENTRY, freePort, spawnEntry, waitUntilAnswering } from "./support/processes.ts";

// API.md "Production mode": the real entry points, started as an operator would start them.

const STRONG_JWT = "j".repeat(40);
const STRONG_WEBHOOK = "w".repeat(40);
const DEV_JWT = "dev-only-jwt-secret-change-me";
const DEV_WEBHOOK = "dev-only-webhook-secret-change-me";

/** Nothing here may reach a shared service: a process that wrongly starts finds closed ports. */
const UNREACHABLE = { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/none", REDIS_URL: "redis://127.0.0.1:1", LOG_LEVEL: "warn" };

async function refusal(entry: string, env: Record<string, string>) {
  const proc = spawnEntry(entry, { ...UNREACHABLE, NODE_ENV: "production", PORT: "0", WORKER_METRICS_PORT: "0", ...env });
  // A process that starts anyway is stopped after a while, and the test fails on its exit code.
  const guard = setTimeout(() => proc.child.kill("SIGKILL"), START_WAIT_MS);
  const { code } = await proc.exited;
  clearTimeout(guard);
  return { code, stderr: proc.stderr(), stdout: proc.stdout() };
}

function expectOneLineNaming(result: { code: number | null; stderr: string; stdout: string }, variable: string) {
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toContain(variable);
  expect(result.stdout).toBe("");
}

// Each case waits for a real process; on a loaded machine its start alone can take a minute.
describe("production mode refuses unsafe settings", { timeout: 2 * START_WAIT_MS }, () => {
  it.each([
    ["api", API_ENTRY],
    ["worker", WORKER_ENTRY],
  ])("%s: exits non-zero with one line when JWT_SECRET is unset", async (_name, entry) => {
    const result = await refusal(entry, { PAYMENT_WEBHOOK_SECRET: STRONG_WEBHOOK, ALLOW_SANDBOX_GATEWAY: "true" });
    expectOneLineNaming(result, "JWT_SECRET");
    expect(result.stderr).toMatch(/JWT_SECRET is not set/);
  });

  it("api: exits when JWT_SECRET is the public development value", async () => {
    const result = await refusal(API_ENTRY, { JWT_SECRET: DEV_JWT, PAYMENT_WEBHOOK_SECRET: STRONG_WEBHOOK, ALLOW_SANDBOX_GATEWAY: "true" });
    expectOneLineNaming(result, "JWT_SECRET");
    expect(result.stderr).toMatch(/development value/);
  });

  it("api: exits when PAYMENT_WEBHOOK_SECRET is the development value or shorter than 32 characters", async () => {
    const dev = await refusal(API_ENTRY, { JWT_SECRET: STRONG_JWT, PAYMENT_WEBHOOK_SECRET: DEV_WEBHOOK, ALLOW_SANDBOX_GATEWAY: "true" });
    expectOneLineNaming(dev, "PAYMENT_WEBHOOK_SECRET");
    const short = await refusal(API_ENTRY, { JWT_SECRET: STRONG_JWT, PAYMENT_WEBHOOK_SECRET: "x".repeat(31), ALLOW_SANDBOX_GATEWAY: "true" });
    expectOneLineNaming(short, "PAYMENT_WEBHOOK_SECRET");
    expect(short.stderr).toMatch(/shorter than 32/);
  });

  it.each([
    ["api", API_ENTRY],
    ["worker", WORKER_ENTRY],
  ])("%s: exits when the sandbox gateway is not allowed on purpose", async (_name, entry) => {
    const result = await refusal(entry, { JWT_SECRET: STRONG_JWT, PAYMENT_WEBHOOK_SECRET: STRONG_WEBHOOK, PAYMENT_GATEWAY: "sandbox" });
    expectOneLineNaming(result, "ALLOW_SANDBOX_GATEWAY");
  });

  it("api: starts with strong secrets and the sandbox allowed on purpose", async () => {
    const port = await freePort();
    const proc = spawnEntry(API_ENTRY, {
      ...UNREACHABLE,
      NODE_ENV: "production",
      PORT: String(port),
      JWT_SECRET: STRONG_JWT,
      PAYMENT_WEBHOOK_SECRET: STRONG_WEBHOOK,
      ALLOW_SANDBOX_GATEWAY: "true",
    });
    try {
      await waitUntilAnswering(proc, `http://127.0.0.1:${port}/healthz`);
      expect(proc.child.exitCode).toBeNull();
    } finally {
      await proc.stop();
    }
  });
});
