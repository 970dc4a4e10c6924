import { fileURLToPath } from "node:url";
import { ConfigError, loadEnv } from "@order-flow/config";
import { migrate, MigrationError } from "./migrate.ts";

const migrationsDir = fileURLToPath(new URL("../../../../prisma/migrations", import.meta.url));

try {
  // Only DATABASE_URL is read here: the production rules on secrets belong to the services.
  const env = loadEnv();
  await migrate({
    databaseUrl: env.DATABASE_URL,
    migrationsDir,
    log: (line) => console.log(`db:migrate: ${line}`),
  });
} catch (err) {
  const message = err instanceof MigrationError || err instanceof ConfigError ? err.message : (err as Error).stack;
  console.error(`db:migrate: ${message}`);
  process.exitCode = 1;
}
