import { defineConfig } from "prisma/config";

// The CLI reads the connection from here; at run time the client connects
// through @prisma/adapter-pg (packages/db/src/client.ts).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/orders",
  },
});
