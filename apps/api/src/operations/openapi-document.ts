import { createRoute, z } from "@hono/zod-openapi";
import {
  HEADERS,
  jsonResponse,
  problemSchema,
  problems,
  registerSharedComponents,
  type OpenAPIRegistry,
} from "../common-schemas.ts";

const TAGS = [
  { name: "catalog", description: "Products and their stock counters" },
  { name: "operations", description: "Health, readiness, metrics and this document" },
  { name: "orders", description: "Place, read, cancel and refund orders; the store's status moves" },
  { name: "payments", description: "Payment requests and the PG's signed webhook" },
  { name: "sandbox", description: "The sandbox payment gateway (PAYMENT_GATEWAY=sandbox only)" },
];

const text = (mediaType: string, description: string) => ({
  description,
  headers: HEADERS.requestId,
  content: { [mediaType]: { schema: z.string() } },
});

/** The operations endpoints: served without a token, so no security applies to them. */
function registerOperations(registry: OpenAPIRegistry): void {
  const open = { tags: ["operations"], security: [] };
  registry.registerPath(
    createRoute({
      method: "get",
      path: "/healthz",
      operationId: "getHealth",
      summary: "The process is alive",
      description: "Always 200 while the process serves requests; it checks nothing else.",
      ...open,
      responses: { 200: jsonResponse(z.object({ status: z.literal("ok") }), "Alive") },
    }),
  );
  const dependency = z.enum(["up", "down"]);
  registry.registerPath(
    createRoute({
      method: "get",
      path: "/readyz",
      operationId: "getReadiness",
      summary: "Redis and PostgreSQL are reachable",
      description: "200 when both answer within a second; 503 names the one that does not.",
      ...open,
      responses: {
        200: jsonResponse(
          z.object({ status: z.literal("ready"), redis: z.literal("up"), postgres: z.literal("up") }),
          "Ready",
        ),
        503: {
          description: "SERVICE_UNAVAILABLE: Redis or PostgreSQL unreachable",
          headers: { ...HEADERS.requestId, ...HEADERS.retryAfter },
          content: {
            "application/problem+json": {
              schema: z.intersection(problemSchema, z.object({ redis: dependency, postgres: dependency })),
            },
          },
        },
      },
    }),
  );
  registry.registerPath(
    createRoute({
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      summary: "Prometheus metrics",
      description: "HTTP latency, transitions, stock holds, queue depths and the outbox backlog, in Prometheus text.",
      ...open,
      responses: { 200: text("text/plain", "Prometheus text exposition format"), ...problems() },
    }),
  );
  registry.registerPath(
    createRoute({
      method: "get",
      path: "/openapi.json",
      operationId: "getOpenApiDocument",
      summary: "This OpenAPI document",
      description: "OpenAPI 3.1, generated from the routes' own schemas.",
      ...open,
      responses: {
        200: jsonResponse(z.record(z.string(), z.unknown()), "The OpenAPI document"),
        ...problems(),
      },
    }),
  );
  registry.registerPath(
    createRoute({
      method: "get",
      path: "/docs",
      operationId: "getApiDocs",
      summary: "Swagger UI over this document",
      description: "HTML; its scripts and styles are served from this origin, so it works offline.",
      ...open,
      responses: { 200: text("text/html", "The Swagger UI page"), ...problems() },
    }),
  );
}

/** Registers what every operation shares and returns the document's top level for doc31(). */
export function openApiDocument(registry: OpenAPIRegistry) {
  registerSharedComponents(registry);
  registerOperations(registry);
  return {
    openapi: "3.1.0",
    info: {
      title: "Order flow API",
      version: "1.0.0",
      description: "Orders, stock holds, payments and refunds. Errors are RFC 9457 problem details.",
      contact: { name: "order-flow maintainers" },
    },
    servers: [{ url: "/", description: "This server" }],
    tags: TAGS,
    security: [{ bearer: [] }],
  };
}
