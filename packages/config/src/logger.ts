import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(options: { level?: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? "info",
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** Logs the development-secret warnings that API.md asks for. */
export function warnAboutDevSecrets(
  log: Logger,
  env: { usingDevJwtSecret: boolean; usingDevWebhookSecret: boolean },
): void {
  if (env.usingDevJwtSecret) log.warn("JWT_SECRET is not set: using the development value");
  if (env.usingDevWebhookSecret) {
    log.warn("PAYMENT_WEBHOOK_SECRET is not set: using the development value");
  }
}
