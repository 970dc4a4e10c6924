import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inPgTransaction } from "../src/pg-transaction.ts";
import { createTestDatabase, type TestDatabase } from "./support/test-database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("inPgTransaction", () => {
  it("survives the server ending the connection while the client is checked out, and the pool goes on", async () => {
    const pool = db.pool;
    const run = inPgTransaction(db.database, async (client) => {
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await pool.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
      // Idle in the transaction while the server's FATAL arrives (the relay waits on Redis here).
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.query("SELECT 1");
    });
    await expect(run).rejects.toThrow();
    const { rows } = await pool.query<{ x: number }>("SELECT 1 AS x");
    expect(rows[0]?.x).toBe(1);
  });

  it("rolls back everything when the body throws", async () => {
    const pool = db.pool;
    await pool.query("CREATE TABLE IF NOT EXISTS tx_probe (n int)");
    await expect(
      inPgTransaction(db.database, async (client) => {
        await client.query("INSERT INTO tx_probe VALUES (1)");
        throw new Error("the step failed");
      }),
    ).rejects.toThrow("the step failed");
    const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM tx_probe");
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
