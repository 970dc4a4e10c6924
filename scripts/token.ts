// Mints a development JWT: npm run -s token -- <customer|store|admin> [--sub UUID] [--store UUID] [--hours N]
import { randomUUID } from "node:crypto";
import { sign } from "hono/jwt";
import { loadEnv } from "@order-flow/config";

const args = process.argv.slice(2);
const role = args[0] ?? "customer";
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (!["customer", "store", "admin"].includes(role)) {
  console.error("usage: npm run -s token -- <customer|store|admin> [--sub UUID] [--store UUID] [--hours N]");
  process.exit(2);
}
const env = loadEnv();
const hours = Number(opt("--hours") ?? 24);
const claims: Record<string, unknown> = {
  sub: opt("--sub") ?? randomUUID(),
  role,
  exp: Math.floor(Date.now() / 1000) + hours * 3600,
};
if (role === "store") claims.storeId = opt("--store") ?? randomUUID();
console.log(await sign(claims, env.JWT_SECRET, "HS256"));
