import pg from "pg";
import { int8ToNumber } from "./int8.ts";

const INT8_OID = 20;

/** BIGINT columns (money, counts) read as numbers; int8ToNumber refuses one past 2^53. */
const poolTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== "binary" ? int8ToNumber : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** The pool under a handle, for this package's statements only (not exported from its index). */
let poolOf: (db: Database) => pg.Pool;
let databaseOn: (pool: pg.Pool) => Database;

/**
 * The handle to PostgreSQL: the pg pool every statement of this package runs on. The pool
 * stays inside this package; other packages pass the handle to its repositories and ports.
 */
export class Database {
  readonly #pool: pg.Pool;

  static {
    poolOf = (db) => db.#pool;
    databaseOn = (pool) => new Database(pool);
  }

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Ends the pool once its checked-out connections are released. */
  async close(): Promise<void> {
    if (!this.#pool.ending) await this.#pool.end();
  }
}

export function createDatabase(options: { databaseUrl: string; poolSize?: number }): Database {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    types: poolTypes,
    max: options.poolSize ?? 10,
    // Bounded wait for a connection (also a pooled one under load): a request answers
    // 503 rather than hanging when PostgreSQL is unreachable.
    connectionTimeoutMillis: 10_000,
  });
  // An idle client's socket error (server restart) must not crash the process.
  pool.on("error", () => {});
  return databaseOn(pool);
}

export { poolOf };
