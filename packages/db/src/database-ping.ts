import type { PrismaClient } from "./client.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

/** One trivial query on the pool: resolves when PostgreSQL answers (readiness probes). */
export async function pingDatabase(prisma: PrismaClient): Promise<void> {
  await runStatement(prisma, "SELECT 1", new SqlParams());
}
