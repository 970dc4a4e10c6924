import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/** Whether the redis-server and redis-cli binaries are installed (tests skip cleanly otherwise). */
export const HAS_REDIS_SERVER =
  spawnSync("redis-server", ["--version"]).status === 0 && spawnSync("redis-cli", ["--version"]).status === 0;

export type LocalCluster = { ports: number[]; stop: () => Promise<void> };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function randomBasePort(): number {
  // Cluster bus ports are port + 10000; stay below 55535.
  return 20_000 + Math.floor(Math.random() * 2_000) * 10;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts `masters` cluster-enabled redis-server processes on loopback, no persistence, and
 * joins them (no replicas). masters = 1 gives a node that can answer CLUSTER KEYSLOT.
 */
export async function startLocalCluster(masters: number): Promise<LocalCluster> {
  // A random port can be taken (another server, an ephemeral client port): try other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnRandomPorts(masters);
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
}

async function startOnRandomPorts(masters: number): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "stock-cluster-"));
  const base = randomBasePort();
  const ports = Array.from({ length: masters }, (_, i) => base + i);
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
        "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--dir", dir,
        "--save", "", "--appendonly", "no", "--protected-mode", "no",
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await waitFor(async () => {
        const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
        r.on("error", () => {}); // refused while the server starts: waitFor retries
        try {
          await r.connect();
          return (await r.ping()) === "PONG";
        } finally {
          r.disconnect();
        }
      }, `redis-server on ${port}`);
    }
    if (masters > 1) {
      const created = spawnSync(
        "redis-cli",
        ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"],
        { encoding: "utf8" },
      );
      if (created.status !== 0) throw new Error(`cluster create failed: ${created.stdout}${created.stderr}`);
      await waitFor(async () => {
        for (const port of ports) {
          const r = new Redis({ port, host: "127.0.0.1" });
          try {
            const info = await r.cluster("INFO");
            if (!String(info).includes("cluster_state:ok")) return false;
          } finally {
            r.disconnect();
          }
        }
        return true;
      }, "cluster_state:ok");
    }
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
