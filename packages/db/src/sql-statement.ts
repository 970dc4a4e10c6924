import type pg from "pg";
import { Database, poolOf } from "./database.ts";
import type { PgClient } from "./pg-transaction.ts";

/**
 * Where a statement runs: the database's pool (a statement of its own), or the one
 * connection of a transaction opened by inPgTransaction. Every query of this package goes
 * through the pool (runStatement); Prisma owns the schema, the migrations and the types only.
 */
export type SqlTarget = Database | PgClient;

/**
 * One hand-written statement built from parts: positional parameters are collected as the
 * text is written, and each distinct text becomes a named prepared statement, so
 * PostgreSQL parses and plans each shape once per connection.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  /** `$n` for the value, with a cast when the column type cannot be inferred. */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }

  /** A JSON document as one jsonb parameter (rows for jsonb_to_recordset and friends). */
  json(value: unknown): string {
    return this.add(JSON.stringify(value), "jsonb");
  }
}

const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `of_${names.size.toString(36)}`;
    names.set(text, name);
  }
  return name;
}

function queryable(target: SqlTarget): pg.Pool | pg.PoolClient {
  return target instanceof Database ? poolOf(target) : target;
}

export async function runStatement<Row extends pg.QueryResultRow>(
  target: SqlTarget,
  text: string,
  params: SqlParams,
): Promise<Row[]> {
  const result = await queryable(target).query<Row>({ name: statementName(text), text, values: params.values });
  return result.rows;
}

/** The number of rows a write changed (UPDATE / DELETE / INSERT … ON CONFLICT DO NOTHING). */
export async function runCount(target: SqlTarget, text: string, params: SqlParams): Promise<number> {
  const result = await queryable(target).query({ name: statementName(text), text, values: params.values });
  return result.rowCount ?? 0;
}
