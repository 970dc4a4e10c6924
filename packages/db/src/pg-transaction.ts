import type pg from "pg";
import { poolOf, type Database } from "./database.ts";

/** One pooled connection inside inPgTransaction: repositories take it to join the transaction. */
export type PgClient = pg.PoolClient;

/**
 * BEGIN … COMMIT on one pooled connection, for the few multi-statement transactions (a
 * single statement is its own transaction and needs none). Rolls back on any error; a connection whose rollback fails is
 * discarded, not reused.
 */
export async function inPgTransaction<T>(db: Database, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await poolOf(db).connect();
  let broken: Error | undefined;
  // pg-pool listens for errors on idle clients only: a server shutdown while this one is
  // checked out (the relay holds it across its enqueue) would otherwise crash the process.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}
