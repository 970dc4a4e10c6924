import { createHash } from "node:crypto";

/** The checksum Prisma Migrate records: SHA-256 (hex) of the migration file's bytes. */
export function migrationChecksum(sql: Buffer | string): string {
  return createHash("sha256").update(sql).digest("hex");
}
