#!/usr/bin/env node
// `npm start` / `npm test` on a fresh clone: fetch the pinned pnpm if missing, install
// dependencies, generate the Prisma client, then hand over to the pnpm script.
// Only Node and npm are assumed; nothing is installed globally.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pnpmVersion = rootPkg.packageManager.split("@")[1];
const toolDir = join(root, ".cache", "tooling");
const localPnpm = join(toolDir, "node_modules", "pnpm", "bin", "pnpm.cjs");

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

function pnpm(args, opts) {
  run(process.execPath, [localPnpm, ...args], opts);
}

function ensurePnpm() {
  if (existsSync(localPnpm)) {
    const pkg = JSON.parse(readFileSync(join(toolDir, "node_modules", "pnpm", "package.json"), "utf8"));
    if (pkg.version === pnpmVersion) return;
  }
  console.log(`bootstrap: installing pnpm ${pnpmVersion} into .cache/tooling`);
  mkdirSync(toolDir, { recursive: true });
  run("npm", ["install", "--prefix", toolDir, "--no-save", "--no-audit", "--no-fund", `pnpm@${pnpmVersion}`]);
}

function stamp(name, inputs) {
  const hash = createHash("sha256");
  for (const file of inputs) hash.update(existsSync(file) ? readFileSync(file) : "");
  const digest = hash.digest("hex");
  const file = join(root, ".cache", `${name}.stamp`);
  const fresh = existsSync(file) && readFileSync(file, "utf8") === digest;
  return { fresh, save: () => writeFileSync(file, digest) };
}

ensurePnpm();

const install = stamp("install", [join(root, "pnpm-lock.yaml"), join(root, "package.json")]);
if (!install.fresh || !existsSync(join(root, "node_modules"))) {
  pnpm(["install", "--frozen-lockfile"]);
  install.save();
}

pnpm(["run", "db:generate"]);

// The last step runs as a child that gets this process's SIGINT / SIGTERM (a supervisor may
// signal only npm's process, not the group), and its exit code becomes ours.
const [command, ...rest] = process.argv.slice(2);
const script = command === "start" ? "dev:start" : command === "test" ? "test:run" : command;
const child = spawn(process.execPath, [localPnpm, "run", script, ...rest], { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
