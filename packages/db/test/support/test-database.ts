import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { createDatabase, poolOf, type Database } from "../../src/database.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { migrate, readMigrations } from "../../src/migrate/migrate.ts";
import { migrationChecksum } from "../../src/migrate/checksum.ts";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../../prisma/migrations", import.meta.url));

const BASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export function databaseUrl(name: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: databaseUrl("postgres") });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** One migrated template per set of migration files; test databases are cheap copies of it. */
async function ensureTemplate(): Promise<string> {
  const files = await readMigrations(MIGRATIONS_DIR);
  const digest = migrationChecksum(files.map((f) => f.checksum).join(",")).slice(0, 16);
  const name = `of_template_${digest}`;
  const exists = await adminQuery("SELECT datistemplate FROM pg_database WHERE datname = $1", [name]);
  if (exists.rows[0]?.datistemplate) return name;
  // Serialise template builds across test workers.
  const lock = new pg.Client({ connectionString: databaseUrl("postgres") });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext($1))", [name]);
    const again = await lock.query("SELECT datistemplate FROM pg_database WHERE datname = $1", [name]);
    if (!again.rows[0]?.datistemplate) {
      if (again.rowCount) await lock.query(`DROP DATABASE "${name}"`);
      await migrate({ databaseUrl: databaseUrl(name), migrationsDir: MIGRATIONS_DIR });
      await lock.query(`ALTER DATABASE "${name}" WITH is_template = true ALLOW_CONNECTIONS = false`);
    }
  } finally {
    await lock.query("SELECT pg_advisory_unlock(hashtext($1))", [name]).catch(() => {});
    await lock.end();
  }
  return name;
}

export type { PrismaClient };

export type TestDatabase = {
  name: string;
  url: string;
  /** the handle the code under test runs on */
  database: Database;
  /** Prisma's model calls for assertions and fixtures, on the same pool */
  prisma: PrismaClient;
  /** the pool under `database`, for raw SQL in assertions */
  pool: pg.Pool;
  drop: () => Promise<void>;
};

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `of_test_${randomBytes(6).toString("hex")}`;
  if (options.migrated === false) {
    await adminQuery(`CREATE DATABASE "${name}"`);
  } else {
    const template = await ensureTemplate();
    await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  }
  const url = databaseUrl(name);
  const database = createDatabase({ databaseUrl: url, poolSize: 20 });
  const pool = poolOf(database);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    name,
    url,
    database,
    prisma,
    pool,
    drop: async () => {
      await prisma.$disconnect();
      await database.close();
      await dropDatabase(name);
    },
  };
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
