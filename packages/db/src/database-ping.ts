import type { Database } from "./database.ts";
import { runStatement, SqlParams } from "./sql-statement.ts";

/** One trivial query on the pool: resolves when PostgreSQL answers (readiness probes). */
export async function pingDatabase(db: Database): Promise<void> {
  await runStatement(db, "SELECT 1", new SqlParams());
}
