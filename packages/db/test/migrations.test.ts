import { cp, mkdtemp, rm, writeFile, appendFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import internals from "@prisma/internals";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../src/migrate/migrate.ts";
import { migrationChecksum } from "../src/migrate/checksum.ts";
import { MIGRATIONS_DIR, databaseUrl, dropDatabase } from "./support/test-database.ts";

const SCHEMA = fileURLToPath(new URL("../../../prisma/schema.prisma", import.meta.url));
const created: string[] = [];

function freshName(): string {
  const name = `of_test_mig_${Math.random().toString(16).slice(2, 10)}`;
  created.push(name);
  return name;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const name of created) await dropDatabase(name);
});

describe("offline migrations", () => {
  it("creates a missing database, applies every migration, and records Prisma's checksum", async () => {
    const url = databaseUrl(freshName());
    const result = await migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });
    const files = await readMigrations(MIGRATIONS_DIR);
    expect(result.applied).toEqual(files.map((f) => f.name));
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      url,
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, row] of rows.entries()) {
      const sql = readFileSync(join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(migrationChecksum(sql));
      expect(row.finished_at).not.toBeNull();
      expect(row.checksum).toBe(files[i]?.checksum);
    }
  });

  it("is a no-op the second time", async () => {
    const url = databaseUrl(freshName());
    await migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });
    const again = await migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });
    expect(again.applied).toEqual([]);
    const rows = await query(url, `SELECT 1 FROM "_prisma_migrations"`);
    expect(rows.length).toBe((await readMigrations(MIGRATIONS_DIR)).length);
  });

  it("lets two concurrent runs both succeed with one application", async () => {
    const url = databaseUrl(freshName());
    const [a, b] = await Promise.all([
      migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR }),
      migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR }),
    ]);
    const total = (await readMigrations(MIGRATIONS_DIR)).length;
    expect(a.applied.length + b.applied.length).toBe(total);
    const rows = await query(url, `SELECT 1 FROM "_prisma_migrations"`);
    expect(rows.length).toBe(total);
  });

  it("refuses when an applied migration file was edited", async () => {
    const dir = await mkdtemp(join(tmpdir(), "of-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const url = databaseUrl(freshName());
      await migrate({ databaseUrl: url, migrationsDir: dir });
      const [first] = await readMigrations(dir);
      await appendFile(join(dir, first!.name, "migration.sql"), "\n-- edited\n");
      await expect(migrate({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/edited after it was applied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("applies a new migration added later, in order, and rolls back a failing one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "of-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const url = databaseUrl(freshName());
      await migrate({ databaseUrl: url, migrationsDir: dir });
      await cp(join(dir, (await readMigrations(dir))[0]!.name), join(dir, "29991231000000_broken"), {
        recursive: true,
      });
      await writeFile(
        join(dir, "29991231000000_broken", "migration.sql"),
        `CREATE TABLE "p_half" (id int);\nSELECT no_such_function();\n`,
      );
      await expect(migrate({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/29991231000000_broken failed/);
      const half = await query(url, `SELECT to_regclass('p_half') AS t`);
      expect(half[0]).toEqual({ t: null });
      const recorded = await query(url, `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29991231000000_broken'`);
      expect(recorded).toHaveLength(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("migrated schema matches schema.prisma", () => {
  let url: string;
  beforeAll(async () => {
    url = databaseUrl(freshName());
    await migrate({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });
  });

  const NATIVE: Record<string, (nativeType: string | undefined) => string> = {
    String: (n) => (n === "Uuid" ? "uuid" : "text"),
    Int: () => "integer",
    BigInt: () => "bigint",
    DateTime: (n) => (n === "Timestamptz" ? "timestamp with time zone" : "timestamp without time zone"),
    Json: () => "jsonb",
    Boolean: () => "boolean",
  };

  it("has every model's columns with their types and nullability, and nothing else", async () => {
    const dmmf = await internals.getDMMF({ datamodel: readFileSync(SCHEMA, "utf8") });
    const live = await query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      url,
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const expected = new Set<string>();
    for (const model of dmmf.datamodel.models) {
      const table = model.dbName ?? model.name;
      for (const field of model.fields) {
        if (field.kind === "object") continue;
        const native = field.nativeType?.[0];
        const type = NATIVE[field.type]?.(native) ?? `unknown ${field.type}`;
        expected.add(`${table}.${field.dbName ?? field.name} ${type} ${field.isRequired ? "NO" : "YES"}`);
      }
    }
    const actual = new Set(live.map((c) => `${c.table_name}.${c.column_name} ${c.data_type} ${c.is_nullable}`));
    expect([...actual].sort()).toEqual([...expected].sort());
  });

  it("has the unique constraints the schema declares", async () => {
    const dmmf = await internals.getDMMF({ datamodel: readFileSync(SCHEMA, "utf8") });
    const rows = await query<{ indexname: string }>(
      url,
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE%'`,
    );
    const names = new Set(rows.map((r) => r.indexname));
    for (const model of dmmf.datamodel.models) {
      for (const field of model.fields) {
        if (field.isUnique) expect(names).toContain(`${model.dbName}_${field.dbName ?? field.name}_key`);
      }
    }
  });
});
