// `pnpm loadgen`: simulated customers, stores and the sandbox PG against running API processes.
import { loadEnv } from "@order-flow/config";
import { formatViolations } from "./check-invariants.ts";
import { parseArgs, UsageError } from "./options.ts";
import { formatRunReport } from "./run-report.ts";
import { runLoad } from "./run-load.ts";

const env = loadEnv();
let options;
try {
  options = parseArgs(process.argv.slice(2), { databaseUrl: env.DATABASE_URL, jwtSecret: env.JWT_SECRET });
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const result = await runLoad(options);
console.log(formatRunReport(result));
if (result.check) {
  console.log(formatViolations(result.check.violations));
  if (!result.ok) process.exitCode = 1;
}
