import { ConfigError, loadEnv, type Env } from "./env.ts";
import { productionProblems } from "./production-rules.ts";

/**
 * The configuration of a long-running service (API, worker): parsed, then held to the
 * production rules. A process that may not start says why on one line of stderr, naming the
 * variable, and exits with 1 before it opens any connection.
 */
export function loadServiceEnv(service: string, source: Record<string, string | undefined> = process.env): Env {
  try {
    const env = loadEnv(source);
    const problems = productionProblems(source);
    if (problems.length > 0) throw new ConfigError(`refusing to start in production: ${problems.join("; ")}`);
    return env;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${service}: ${err.message}\n`);
    process.exit(1);
  }
}
