#!/usr/bin/env node
// Runs the API and N worker processes in the foreground (migrations already applied by
// `pnpm dev:start`). Ctrl-C or SIGTERM stops them all; if one dies, the rest are stopped.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const workers = flag("--workers", Number(process.env.WORKERS ?? 1));
const apis = flag("--apis", Number(process.env.APIS ?? 1));
const basePort = Number(process.env.PORT ?? 3000);
const baseMetricsPort = Number(process.env.WORKER_METRICS_PORT ?? basePort + 1);

const children = [];
let stopping = false;

function launch(name, entry, env) {
  // `--import tsx` runs the app in this very process (tsx's CLI would add a wrapper process),
  // so a signal, or kill -9, reaches the app itself.
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  child.on("exit", (code, signal) => {
    children.splice(children.indexOf(child), 1);
    if (!stopping) {
      console.error(`start: ${name} exited (${signal ?? code}); stopping the rest`);
      stop(code || 1);
    } else if (children.length === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
  children.push(child);
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children) child.kill("SIGTERM");
  // The apps exit within 10 s on their own; this is the backstop.
  setTimeout(() => {
    for (const child of children) child.kill("SIGKILL");
    process.exit(code || 1);
  }, 12_000).unref();
  if (children.length === 0) process.exit(code);
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

for (let i = 0; i < apis; i++) {
  launch(`api ${i + 1}`, "apps/api/src/main.ts", { PORT: String(basePort + i * 10) });
}
for (let i = 0; i < workers; i++) {
  launch(`worker ${i + 1}`, "apps/worker/src/main.ts", {
    WORKER_METRICS_PORT: String(baseMetricsPort + i * 10),
  });
}
