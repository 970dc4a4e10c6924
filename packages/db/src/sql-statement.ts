import type pg from "pg";

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

export async function runStatement<Row extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  params: SqlParams,
): Promise<Row[]> {
  const result = await pool.query<Row>({ name: statementName(text), text, values: params.values });
  return result.rows;
}
