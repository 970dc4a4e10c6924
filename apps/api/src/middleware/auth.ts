import { webcrypto } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { verify } from "hono/jwt";
import { z } from "zod";
import type { Actor } from "@order-flow/domain";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";
import type { AuthFailures } from "./auth-failures.ts";

const claimsSchema = z
  .object({
    // Lower case: ids are compared and used as keys in that form everywhere.
    sub: z.guid().toLowerCase(),
    role: z.enum(["customer", "store", "admin"]),
    storeId: z.guid().toLowerCase().optional(),
    // Required: a token without exp would never expire (hono/jwt checks it only when present).
    exp: z.number(),
  })
  .refine((c) => c.role !== "store" || c.storeId !== undefined, { message: "store token without storeId" });

const keys = new Map<string, Promise<webcrypto.CryptoKey>>();

/** The secret imported once: hono/jwt would import a string secret again on every request. */
function verificationKey(secret: string): Promise<webcrypto.CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    keys.set(secret, key);
  }
  return key;
}

/** Verifies a bearer JWT (HS256) and returns its actor; anything missing, malformed or expired is 401. */
export async function verifyBearerToken(token: string, secret: string): Promise<Actor> {
  let payload: unknown;
  try {
    payload = await verify(token, await verificationKey(secret), "HS256");
  } catch {
    throw new ApiProblem("UNAUTHENTICATED", "The token is invalid or expired");
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new ApiProblem("UNAUTHENTICATED", "The token's claims are not valid");
  const { sub, role, storeId } = claims.data;
  return { role, userId: sub, storeId: role === "store" ? (storeId ?? null) : null };
}

/**
 * Bearer JWT (HS256) → the request's actor; anything missing, malformed or expired is 401, and
 * 429 once the caller's address has failed too often (`failures`).
 */
export function bearerAuth({ secret, failures }: { secret: string; failures?: AuthFailures }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("Authorization");
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    let actor: Actor;
    try {
      if (!match?.[1]) throw new ApiProblem("UNAUTHENTICATED", "A bearer token is required");
      actor = await verifyBearerToken(match[1], secret);
    } catch (err) {
      throw err instanceof ApiProblem && failures ? await failures.failed(c, err) : err;
    }
    c.set("actor", actor);
    await next();
  });
}
