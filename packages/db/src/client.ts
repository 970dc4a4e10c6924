import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient as GeneratedPrismaClient } from "./generated/prisma/client.ts";
import { int8ToNumber } from "./int8.ts";

const INT8_OID = 20;

/** The pool's own queries read BIGINT (money, counts) as numbers; Prisma passes its own parsers. */
const poolTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== "binary" ? int8ToNumber : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

export type { Prisma } from "./generated/prisma/client.ts";

/**
 * Prisma's client plus the pg pool under it. The repositories of this package run every
 * statement on the pool (runStatement, inPgTransaction): Prisma owns the schema, the
 * migrations and the generated types.
 */
export type PrismaClient = GeneratedPrismaClient & { readonly $pool: pg.Pool };

/** Prisma's transaction client, or the client itself (idempotency keys still take it). */
export type Db = Omit<
  GeneratedPrismaClient,
  "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends"
>;

export function createPrisma(options: { databaseUrl: string; poolSize?: number }): PrismaClient {
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
  const client = new GeneratedPrismaClient({
    adapter: new PrismaPg(pool),
    // Under bursts a transaction may wait for a pooled connection longer than Prisma's 2 s
    // default; the pool's own connection timeout bounds the wait instead.
    transactionOptions: { maxWait: 10_000, timeout: 15_000 },
  });
  // Prisma does not end a pool it was given: $disconnect ends it too.
  const disconnect = client.$disconnect.bind(client);
  Object.defineProperties(client, {
    $pool: { value: pool, enumerable: false },
    $disconnect: {
      value: async () => {
        await disconnect();
        if (!pool.ending) await pool.end();
      },
      enumerable: false,
    },
  });
  return client as PrismaClient;
}
