import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { PROBLEM_STATUS, type ProblemCode } from "./problem.ts";

/** A UUID in any case, handled in lower case from here on (as PostgreSQL prints it). */
export const uuid = z.guid().toLowerCase();

/** An ISO-8601 UTC time, as every time field of the API is. */
export const dateTime = z.iso.datetime();

export type OpenAPIRegistry = OpenAPIHono["openAPIRegistry"];

const PROBLEM_CODES = Object.keys(PROBLEM_STATUS) as [ProblemCode, ...ProblemCode[]];

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(PROBLEM_CODES).openapi({ description: "One of API.md's problem codes; each has one status" }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .openapi("Problem", { description: "RFC 9457 problem details" });

export const problemContent = { "application/problem+json": { schema: problemSchema } };

const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Response headers, registered once as components (registerSharedComponents). */
export const HEADERS = {
  requestId: { "X-Request-Id": header("RequestId") },
  retryAfter: { "Retry-After": header("RetryAfter") },
  idempotentReplayed: { "Idempotent-Replayed": header("IdempotentReplayed") },
};

export function registerSharedComponents(registry: OpenAPIRegistry): void {
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "HS256 JWT with sub, role (customer | store | admin), storeId for stores, and exp",
  });
  registry.registerComponent("headers", "RequestId", {
    description: "The request's id: the client's own X-Request-Id echoed, or a new one",
    required: true,
    schema: { type: "string" },
  });
  registry.registerComponent("headers", "RetryAfter", {
    description: "Seconds to wait before trying again",
    required: true,
    schema: { type: "integer", minimum: 0 },
  });
  registry.registerComponent("headers", "IdempotentReplayed", {
    description: "`true` when this is the stored response of an earlier request with the same Idempotency-Key",
    schema: { type: "string", enum: ["true"] },
  });
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: "VALIDATION_FAILED: bad JSON, wrong types, unknown fields or limits",
  401: "UNAUTHENTICATED: no, bad or expired token (for the webhook: bad, missing or stale signature)",
  403: "FORBIDDEN: the caller's role may not do this",
  404: "NOT_FOUND: no such resource, or not the caller's",
  409: "OUT_OF_STOCK, INVALID_STATE_TRANSITION, STOCK_HELD or IDEMPOTENCY_KEY_IN_USE",
  413: "PAYLOAD_TOO_LARGE: the body is over 64 KiB",
  422: "IDEMPOTENCY_KEY_REUSED or UNKNOWN_PRODUCT",
  429: "RATE_LIMITED: too many requests from this user; see Retry-After",
  500: "INTERNAL: an unexpected error (never a stack trace)",
  503: "SERVICE_UNAVAILABLE: Redis or PostgreSQL unreachable; retry later",
};

type ProblemResponse = {
  description: string;
  headers: Record<string, { $ref: string }>;
  content: typeof problemContent;
};

/** The problem responses of an operation; 500 is always among them. */
export function problems(...statuses: number[]) {
  const out: Record<number, ProblemResponse> = {};
  for (const status of [...statuses, 500]) {
    out[status] = {
      description: PROBLEM_DESCRIPTIONS[status] ?? "Problem details (RFC 9457)",
      headers: { ...HEADERS.requestId, ...(status === 429 || status === 503 ? HEADERS.retryAfter : {}) },
      content: problemContent,
    };
  }
  return out;
}

/** A JSON success response, with the X-Request-Id every response carries. */
export function jsonResponse<T extends z.ZodType>(
  schema: T,
  description: string,
  headers: Record<string, { $ref: string }> = {},
) {
  return {
    description,
    headers: { ...HEADERS.requestId, ...headers },
    content: { "application/json": { schema } },
  };
}

export const reasonBodySchema = z
  .strictObject({ reason: z.string().max(500).optional().openapi({ description: "Why; kept as the order's failureReason" }) })
  .openapi("Reason");
