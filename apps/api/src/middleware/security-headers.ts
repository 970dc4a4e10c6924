import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../context.ts";

type Csp = NonNullable<Parameters<typeof secureHeaders>[0]>["contentSecurityPolicy"];

/**
 * Same-origin scripts only. Styles may be inline: the queue dashboard's page and React
 * components set style attributes and a <style> block. Its config is a JSON data block,
 * which script-src does not govern.
 */
const API_CSP: Csp = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The API documentation page starts Swagger UI with an inline script. */
const DOCS_CSP: Csp = { ...API_CSP, scriptSrc: ["'self'", "'unsafe-inline'"] };

/** Security headers on every response (hono's secure-headers), with the CSP above. */
export function securityHeaders({ docsPath = "/docs" }: { docsPath?: string } = {}): MiddlewareHandler<AppEnv> {
  const everywhere = secureHeaders({ contentSecurityPolicy: API_CSP });
  const docs = secureHeaders({ contentSecurityPolicy: DOCS_CSP });
  return (c, next) => (c.req.path === docsPath ? docs(c, next) : everywhere(c, next));
}
