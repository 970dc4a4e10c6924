import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export { PrismaClient };
export type { Prisma } from "./generated/prisma/client.ts";

/** A transaction client, or the client itself: repositories accept either. */
export type Db = Omit<
  PrismaClient,
  "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends"
>;

export function createPrisma(options: { databaseUrl: string; poolSize?: number }): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    // Bounded wait for a connection (also a pooled one under load): a request answers
    // 503 rather than hanging when PostgreSQL is unreachable.
    connectionTimeoutMillis: 10_000,
  });
  return new PrismaClient({
    adapter,
    // Under bursts a transaction may wait for a pooled connection longer than Prisma's 2 s
    // default; the pool's own connection timeout bounds the wait instead.
    transactionOptions: { maxWait: 10_000, timeout: 15_000 },
  });
}
