export { ConfigError, envSchema, loadEnv, type Env } from "./env.ts";
export { createLogger, warnAboutDevSecrets, type Logger } from "./logger.ts";
export { GATEWAY_SECRETS, MIN_SECRET_LENGTH, productionProblems } from "./production-rules.ts";
export { loadServiceEnv } from "./service-env.ts";
