import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { InvalidStateTransition } from "@order-flow/domain";
import { ApiProblem, problemBody, toProblem } from "./problem.ts";

describe("toProblem", () => {
  it("turns an unknown error into INTERNAL with no stack or message in the body", () => {
    const problem = toProblem(new Error("secret detail at /work/app.ts:12"));
    expect(problem.code).toBe("INTERNAL");
    const body = problemBody(problem.code, problem.detail, "req-1");
    expect(body).toEqual({
      type: "https://order-flow.dev/problems/internal",
      title: "Internal error",
      status: 500,
      detail: "An unexpected error occurred",
      code: "INTERNAL",
      requestId: "req-1",
    });
  });

  it("maps domain, HTTP and connectivity errors to API.md's codes", () => {
    expect(toProblem(new InvalidStateTransition("PREPARING", "cancel")).code).toBe("INVALID_STATE_TRANSITION");
    expect(toProblem(new HTTPException(413)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(toProblem(new HTTPException(415)).code).toBe("VALIDATION_FAILED");
    expect(toProblem(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })).code).toBe(
      "SERVICE_UNAVAILABLE",
    );
    expect(toProblem(new ApiProblem("STOCK_HELD", "x")).code).toBe("STOCK_HELD");
    // pg-pool's wait for a free connection ran out: the database is saturated, retry later.
    expect(toProblem(new Error("timeout exceeded when trying to connect")).code).toBe("SERVICE_UNAVAILABLE");
    expect(toProblem(Object.assign(new Error("terminating connection"), { code: "57P01" })).code).toBe("SERVICE_UNAVAILABLE");
    expect(toProblem(new Error("Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`")).code).toBe(
      "SERVICE_UNAVAILABLE",
    );
  });
});
