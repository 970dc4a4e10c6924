#!/usr/bin/env node
// Generates the Prisma client offline. The CLI insists on a schema-engine binary it would
// otherwise download; generation never runs it, so any existing file satisfies the check.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const schema = join(root, "prisma", "schema.prisma");
const output = join(root, "packages", "db", "src", "generated", "prisma", "client.ts");
const stampFile = join(root, ".cache", "prisma-generate.stamp");
const digest = createHash("sha256").update(readFileSync(schema)).digest("hex");

if (existsSync(output) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === digest) {
  process.exit(0);
}
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
};
const bin = join(root, "node_modules", "prisma", "build", "index.js");
const res = spawnSync(process.execPath, [bin, "generate"], { cwd: root, stdio: "inherit", env });
if (res.status !== 0) process.exit(res.status ?? 1);
mkdirSync(dirname(stampFile), { recursive: true });
writeFileSync(stampFile, digest);
