import { createHash, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { ApiProblem } from "../problem.ts";
import type { AuthFailures } from "./auth-failures.ts";
import { verifyBearerToken } from "./auth.ts";

export type AdminAuthOptions = {
  jwtSecret: string;
  /** ADMIN_USER / ADMIN_PASSWORD: basic auth is accepted only when both are set */
  user?: string | undefined;
  password?: string | undefined;
  realm?: string;
  /** failed attempts per client address: past the limit 429, and no password is checked */
  failures?: AuthFailures;
};

/** Hashing first gives equal lengths, so the comparison takes the same time whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function decodeBasic(encoded: string): { user: string; password: string } | null {
  const text = Buffer.from(encoded, "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? null : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Operator pages: a bearer JWT with role admin, or HTTP basic auth with ADMIN_USER /
 * ADMIN_PASSWORD. Missing or wrong credentials are 401 (with a Basic challenge when basic auth
 * is on, so a browser asks for them); a valid token of another role is 403.
 */
export function adminAuth(options: AdminAuthOptions) {
  const basic = options.user && options.password ? { user: options.user, password: options.password } : null;
  const challenge: Record<string, string> = basic
    ? { "WWW-Authenticate": `Basic realm="${options.realm ?? "queues"}", charset="UTF-8"` }
    : {};
  const unauthenticated = (detail: string) => new ApiProblem("UNAUTHENTICATED", detail, { headers: challenge });

  const failed = async (c: Context<AppEnv>, problem: ApiProblem) =>
    options.failures ? options.failures.failed(c, problem) : problem;

  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("Authorization") ?? "";
    const bearer = header.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) {
      const actor = await verifyBearerToken(bearer, options.jwtSecret).catch(async (err: unknown) => {
        throw err instanceof ApiProblem ? await failed(c, unauthenticated(err.detail)) : err;
      });
      if (actor.role !== "admin") throw new ApiProblem("FORBIDDEN", "Only an admin may open the queue dashboard");
      c.set("actor", actor);
      return next();
    }
    const encoded = header.match(/^Basic\s+(\S+)$/i)?.[1];
    if (basic && encoded) {
      // A password can be guessed: once the address is past the limit it is not even compared.
      await options.failures?.assertNotBlocked(c);
      const given = decodeBasic(encoded);
      // Both compared every time (no short circuit), so timing tells nothing about which was wrong.
      const userOk = sameSecret(given?.user ?? "", basic.user);
      const passwordOk = sameSecret(given?.password ?? "", basic.password);
      if (given && userOk && passwordOk) {
        c.set("actor", { role: "admin", userId: null, storeId: null });
        return next();
      }
      throw await failed(c, unauthenticated("The user name or password is wrong"));
    }
    throw await failed(
      c,
      unauthenticated(basic ? "An admin token or the admin user's password is required" : "An admin token is required"),
    );
  });
}
