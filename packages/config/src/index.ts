export { envSchema, loadEnv, type Env } from "./env.ts";
export { createLogger, warnAboutDevSecrets, type Logger } from "./logger.ts";
