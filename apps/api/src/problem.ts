import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isDomainError } from "@order-flow/domain";
import type { AppEnv } from "./context.ts";

export const PROBLEM_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  OUT_OF_STOCK: 409,
  INVALID_STATE_TRANSITION: 409,
  STOCK_HELD: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_KEY_IN_USE: 409,
  UNKNOWN_PRODUCT: 422,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

const TITLES: Record<ProblemCode, string> = {
  VALIDATION_FAILED: "The request is not valid",
  UNAUTHENTICATED: "Authentication required",
  FORBIDDEN: "Not allowed",
  NOT_FOUND: "Not found",
  OUT_OF_STOCK: "Out of stock",
  INVALID_STATE_TRANSITION: "Not possible in the order's current state",
  STOCK_HELD: "Stock is held by live reservations",
  IDEMPOTENCY_KEY_REUSED: "Idempotency key reused with a different request",
  IDEMPOTENCY_KEY_IN_USE: "A request with this idempotency key is still running",
  UNKNOWN_PRODUCT: "Unknown product",
  PAYLOAD_TOO_LARGE: "Payload too large",
  RATE_LIMITED: "Too many requests",
  SERVICE_UNAVAILABLE: "Service unavailable",
  INTERNAL: "Internal error",
};

export type FieldError = { path: string; message: string };

/** An error that answers as an RFC 9457 problem with one of API.md's codes. */
export class ApiProblem extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "ApiProblem";
  }
}

export function problemBody(code: ProblemCode, detail: string, requestId?: string, errors?: FieldError[]) {
  return {
    type: `https://order-flow.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`,
    title: TITLES[code],
    status: PROBLEM_STATUS[code],
    detail,
    code,
    ...(errors ? { errors } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

export function problemResponse(c: Context<AppEnv>, problem: ApiProblem): Response {
  const body = problemBody(problem.code, problem.detail, c.get("requestId"), problem.extra.errors);
  // c.body keeps headers that middleware set before the error (request id, rate limit).
  return c.body(JSON.stringify(body), PROBLEM_STATUS[problem.code], {
    "Content-Type": "application/problem+json",
    ...(problem.extra.headers ?? {}),
  });
}

const UNAVAILABLE_PATTERNS = [
  /ECONNREFUSED/,
  /ECONNRESET/,
  /ETIMEDOUT/,
  /Connection terminated/i,
  /connection timeout/i,
  /Stream isn't writeable/i,
  /Connection is closed/i,
  /enableOfflineQueue/i,
  /Can't reach database server/i,
  /the database system is (starting up|shutting down)/i,
  /terminating connection/i,
  /Timed out fetching a new connection/i,
  /DatabaseNotReachable/i,
  /MaxRetriesPerRequestError/i,
  /not queryable/i,
  /timeout exceeded when trying to connect/i,
  /connection error/i,
  /server closed the connection/i,
  // Prisma's words for a PostgreSQL that went away mid-query (seen while it restarts).
  /Server has closed the connection/i,
  /Cluster isn't ready/i,
  /None of startup nodes is available/i,
];

/** PostgreSQL SQLSTATEs of a server going away or not accepting connections yet. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"]);

/** Redis or PostgreSQL unreachable: the client should retry later. */
export function isUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const e = current as { message?: unknown; code?: unknown; name?: unknown; cause?: unknown };
    const text = `${String(e.name ?? "")} ${String(e.code ?? "")} ${String(e.message ?? "")}`;
    if (UNAVAILABLE_PATTERNS.some((p) => p.test(text))) return true;
    // P1001/P1017: database unreachable; P2024/P2028: no connection or transaction slot in time.
    if (e.code === "P1001" || e.code === "P1017" || e.code === "P2024" || e.code === "P2028") return true;
    if (typeof e.code === "string" && UNAVAILABLE_SQLSTATES.has(e.code)) return true;
    const original = (e as { originalCode?: unknown }).originalCode;
    if (typeof original === "string" && UNAVAILABLE_SQLSTATES.has(original)) return true;
    current = e.cause;
  }
  return false;
}

/** Maps any thrown error to a problem; unknown errors become INTERNAL with no stack in the body. */
export function toProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  if (isDomainError(error)) {
    const code = error.code === "FORBIDDEN" || error.code === "INVALID_STATE_TRANSITION" || error.code === "VALIDATION_FAILED"
      ? (error.code as ProblemCode)
      : "INVALID_STATE_TRANSITION";
    return new ApiProblem(code, error.message);
  }
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ApiProblem("PAYLOAD_TOO_LARGE", "The body is larger than 64 KiB");
    if (error.status === 401) return new ApiProblem("UNAUTHENTICATED", error.message || "Unauthenticated");
    if (error.status === 400) return new ApiProblem("VALIDATION_FAILED", error.message || "Malformed request");
    if (error.status === 415) return new ApiProblem("VALIDATION_FAILED", "The body must be application/json");
    if (error.status === 404) return new ApiProblem("NOT_FOUND", error.message || "Not found");
  }
  if (isUnavailable(error)) {
    return new ApiProblem("SERVICE_UNAVAILABLE", "A backing service is unreachable; retry later", {
      headers: { "Retry-After": "1" },
    });
  }
  return new ApiProblem("INTERNAL", "An unexpected error occurred");
}
