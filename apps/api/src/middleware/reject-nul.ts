import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { findNul } from "../find-nul.ts";
import { ApiProblem } from "../problem.ts";

const JSON_TYPE = /^application\/([a-z.-]+\+)?json/i;

export function nulProblem(path: string): ApiProblem {
  return new ApiProblem("VALIDATION_FAILED", "The request is not valid", {
    errors: [{ path, message: "must not contain a NUL character" }],
  });
}

/**
 * Refuses a NUL character anywhere in the query or the JSON body (400), whatever field it is
 * in. A body that is not JSON is left to the route's own validation.
 */
export function rejectNul() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const inQuery = findNul(c.req.queries());
    if (inQuery !== null) throw nulProblem(`query.${inQuery}`);
    if (JSON_TYPE.test(c.req.header("Content-Type") ?? "")) {
      // Parsed once: the route's validator reads the same cached body.
      const body: unknown = await c.req.json().catch(() => undefined);
      const inBody = findNul(body);
      if (inBody !== null) throw nulProblem(inBody);
    }
    await next();
  });
}
