import { createHash, timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";
import type { AuthFailures } from "./auth-failures.ts";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** METRICS_TOKEN: when set, the scrape must send `Authorization: Bearer <token>` (else 401); unset, open. */
export function metricsToken({ token, failures }: { token?: string | undefined; failures?: AuthFailures }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!token) return next();
    const given = c.req.header("Authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? "";
    // Digests first: equal lengths, so the comparison takes the same time whatever was sent.
    if (!timingSafeEqual(digest(given), digest(token))) {
      const problem = new ApiProblem("UNAUTHENTICATED", "The metrics token is missing or wrong");
      throw failures ? await failures.failed(c, problem) : problem;
    }
    return next();
  });
}
