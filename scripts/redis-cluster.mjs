#!/usr/bin/env node
// A throwaway Redis Cluster (masters only, no persistence) on loopback ports, from the
// installed redis-server and redis-cli. Used by the cluster tests and by hand:
//
//   node scripts/redis-cluster.mjs start [--ports 7101,7102,7103] [--dir DIR]
//   REDIS_CLUSTER_NODES=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 npm start
//   node scripts/redis-cluster.mjs stop  [--ports 7101,7102,7103] [--dir DIR]
//
// The servers run daemonized (they outlive `start`); their pid, log and nodes.conf files
// live in DIR (default .cache/redis-cluster), which `stop` removes.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_PORTS = [7101, 7102, 7103];
export const DEFAULT_DIR = join(ROOT, ".cache", "redis-cluster");

/** Whether redis-server and redis-cli are installed (tests skip cleanly otherwise). */
export const HAS_REDIS_BINARIES =
  spawnSync("redis-server", ["--version"]).status === 0 && spawnSync("redis-cli", ["--version"]).status === 0;

async function cli(port, ...args) {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 5_000 });
  return stdout.trim();
}

function portFree(port) {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
}

async function waitFor(check, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`redis-cluster: timed out waiting for ${what}`);
}

/** A random base port whose block and bus ports (port + 10000) stay below 65536. */
export function randomPorts(count = 3) {
  const base = 40_000 + Math.floor(Math.random() * 1_500) * 10;
  return Array.from({ length: count }, (_, i) => base + i);
}

/**
 * A cluster on random free ports (tests): a random block can be taken by another server or an
 * ephemeral client port, so a few other blocks are tried before giving up.
 */
export async function startClusterOnRandomPorts(count = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCluster({ ports: randomPorts(count) });
    } catch (error) {
      if (attempt >= 4 || !/is in use/.test(String(error))) throw error;
    }
  }
}

/**
 * Starts one cluster-enabled redis-server per port, joins them as masters (slots split
 * evenly, no replicas) and waits for cluster_state:ok on every node.
 * Returns the ports, the dir, REDIS_CLUSTER_NODES and a stop() for this cluster.
 */
export async function startCluster({ ports = DEFAULT_PORTS, dir } = {}) {
  if (ports.length < 3) throw new Error("redis-cluster: redis-cli --cluster create needs at least 3 masters");
  const home = dir ? resolve(dir) : mkdtempSync(join(tmpdir(), "redis-cluster-"));
  mkdirSync(home, { recursive: true });
  for (const port of ports) {
    // A server already on the port would answer PING and pass for ours.
    if (!(await portFree(port)) || !(await portFree(port + 10_000))) {
      throw new Error(`redis-cluster: port ${port} or its bus port ${port + 10_000} is in use`);
    }
  }
  const cluster = { ports, dir: home, nodes: ports.map((p) => `127.0.0.1:${p}`).join(","), stop: () => stopCluster({ ports, dir: home }) };
  try {
    for (const port of ports) {
      rmSync(join(home, `nodes-${port}.conf`), { force: true });
      // prettier-ignore
      await run("redis-server", [
        "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "no",
        "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "5000",
        "--dir", home, "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
        "--daemonize", "yes", "--pidfile", join(home, `redis-${port}.pid`), "--logfile", join(home, `redis-${port}.log`),
      ]);
    }
    for (const port of ports) await waitFor(async () => (await cli(port, "ping")) === "PONG", `redis-server on ${port}`);
    await run(
      "redis-cli",
      ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"],
      { timeout: 30_000 },
    );
    await waitFor(async () => {
      for (const port of ports) {
        const info = await cli(port, "cluster", "info");
        if (!info.includes("cluster_state:ok") || !info.includes("cluster_slots_ok:16384")) return false;
        if (!info.includes(`cluster_known_nodes:${ports.length}`)) return false;
      }
      return true;
    }, "cluster_state:ok");
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Shuts every server down (SHUTDOWN NOSAVE, then the pidfile's SIGKILL) and removes the dir. */
export async function stopCluster({ ports = DEFAULT_PORTS, dir = DEFAULT_DIR } = {}) {
  const home = resolve(dir);
  await Promise.all(
    ports.map(async (port) => {
      const pidFile = join(home, `redis-${port}.pid`);
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : NaN;
      // Only a server this script started (its pidfile in DIR) is stopped.
      if (!Number.isInteger(pid) || pid <= 0) return;
      await cli(port, "shutdown", "nosave").catch(() => {});
      // redis-server removes its pidfile on a clean shutdown (its pid may linger as a zombie
      // until PID 1 reaps it, so the pid is no signal); a server that did not gets SIGKILL.
      await waitFor(async () => !existsSync(pidFile), `redis-server ${port} to exit`, 5_000).catch(() => {
        // A stale pidfile's pid may belong to another program by now.
        const cmdline = `/proc/${pid}/cmdline`;
        if (existsSync(cmdline) && !readFileSync(cmdline, "utf8").includes("redis-server")) return;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      });
    }),
  );
  rmSync(home, { recursive: true, force: true });
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--ports") options.ports = String(argv[++i] ?? "").split(",").map(Number);
    else if (arg === "--dir") options.dir = argv[++i];
    else throw new Error(`unknown argument: ${arg}`);
  }
  if (options.ports && options.ports.some((p) => !Number.isInteger(p) || p <= 0 || p > 55_535)) {
    throw new Error("--ports: comma-separated ports below 55536 (bus port = port + 10000)");
  }
  return options;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const options = parseArgs(rest);
  const ports = options.ports ?? DEFAULT_PORTS;
  const dir = options.dir ?? DEFAULT_DIR;
  if (command === "start") {
    if (!HAS_REDIS_BINARIES) throw new Error("redis-server and redis-cli must be installed");
    const cluster = await startCluster({ ports, dir });
    console.log(`redis cluster up (${ports.length} masters, files in ${cluster.dir})`);
    console.log(`REDIS_CLUSTER_NODES=${cluster.nodes}`);
  } else if (command === "stop") {
    await stopCluster({ ports, dir });
    console.log(`redis cluster on ${ports.join(",")} stopped`);
  } else {
    console.error("usage: node scripts/redis-cluster.mjs start|stop [--ports 7101,7102,7103] [--dir DIR]");
    process.exitCode = 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
