import { DEV_JWT_SECRET, DEV_WEBHOOK_SECRET } from "./env.ts";

export const MIN_SECRET_LENGTH = 32;

type Source = Record<string, string | undefined>;

/** Secrets every production process needs, with the development value each must not keep. */
const REQUIRED_SECRETS: Record<string, string | null> = {
  JWT_SECRET: DEV_JWT_SECRET,
  PAYMENT_WEBHOOK_SECRET: DEV_WEBHOOK_SECRET,
};

/** Each payment gateway's own secrets, required in production when that gateway is configured. */
export const GATEWAY_SECRETS: Record<string, readonly string[]> = {
  sandbox: [],
  stripe: ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"],
};

function secretProblem(name: string, value: string | undefined, devValue: string | null): string | null {
  if (value === undefined || value === "") return `${name} is not set`;
  if (devValue !== null && value === devValue) return `${name} is the public development value`;
  if (value.length < MIN_SECRET_LENGTH) return `${name} is shorter than ${MIN_SECRET_LENGTH} characters`;
  return null;
}

/**
 * What keeps a production process from starting (API.md "Production mode"), read from the raw
 * environment so that an unset secret is told apart from one set to the development value.
 * Empty outside production.
 */
export function productionProblems(source: Source): string[] {
  if (source.NODE_ENV !== "production") return [];
  const gateway = source.PAYMENT_GATEWAY || "sandbox";
  const secrets: [string, string | null][] = [
    ...Object.entries(REQUIRED_SECRETS),
    ...(GATEWAY_SECRETS[gateway] ?? []).map((name): [string, string | null] => [name, null]),
  ];
  const problems = secrets.flatMap(([name, devValue]) => secretProblem(name, source[name], devValue) ?? []);
  if (gateway === "sandbox" && source.ALLOW_SANDBOX_GATEWAY !== "true") {
    problems.push("PAYMENT_GATEWAY=sandbox takes no real money: set ALLOW_SANDBOX_GATEWAY=true to run it on purpose");
  }
  return problems;
}
