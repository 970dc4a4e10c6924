import { Redis, Cluster, type ClusterNode, type ClusterOptions, type RedisOptions } from "ioredis";

export type RedisConnection = Redis | Cluster;

/**
 * What a client is for, which decides how it behaves while Redis is unreachable:
 * - "worker": BullMQ workers and queues; commands wait through an outage (maxRetriesPerRequest: null,
 *   as BullMQ requires).
 * - "producer": request paths (the API); no offline queue, one retry, so an outage answers 503 at once.
 * - "stock": the worker's stock calls; they wait through a short blip but fail after a few retries,
 *   so the job fails and retries with backoff instead of hanging.
 */
export type RedisRole = "worker" | "producer" | "stock";

export type RedisClientSettings = {
  /** redis://[user:password@]host:port[/db]: a database number is honoured (not on a Cluster) */
  url: string;
  /** REDIS_CLUSTER_NODES, "host:port,host:port": a Redis Cluster instead of `url` */
  clusterNodes?: string | undefined;
  role: RedisRole;
  /** connection name seen in CLIENT LIST */
  name?: string | undefined;
  /** connect on the first command or on connect() (the API connects itself to log a failure) */
  lazyConnect?: boolean | undefined;
};

/** Settings of the role-named helpers below. */
export type RedisConnectionSettings = Omit<RedisClientSettings, "role">;

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null },
  producer: { enableOfflineQueue: false, maxRetriesPerRequest: 1 },
  stock: { maxRetriesPerRequest: 3 },
};

/** "h1:7000, h2:7001" → startup nodes; a bare host means port 6379. */
export function parseClusterNodes(value: string): ClusterNode[] {
  const nodes = value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const colon = entry.lastIndexOf(":");
      const host = colon > 0 ? entry.slice(0, colon) : entry;
      const port = colon > 0 ? Number(entry.slice(colon + 1)) : 6379;
      if (!host || !Number.isInteger(port) || port <= 0 || port > 65_535) {
        throw new Error(`REDIS_CLUSTER_NODES: not a host:port: "${entry}"`);
      }
      return { host, port };
    });
  if (nodes.length === 0) throw new Error("REDIS_CLUSTER_NODES is set but names no node");
  return nodes;
}

/** Credentials and TLS of REDIS_URL, carried over to every Cluster node connection. */
function urlCredentials(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  const options: RedisOptions = {};
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === "rediss:") options.tls = {};
  return options;
}

/**
 * The one way to open Redis: a plain client on `url`, or an ioredis Cluster when
 * `clusterNodes` is set (REDIS_CLUSTER_NODES). Every key the code touches together shares a
 * hash tag (BullMQ prefix `{of}`, stock `{store:<id>}`, rate limit `{userId}`), so a Cluster
 * needs nothing else.
 */
export function createRedisClient(settings: RedisClientSettings): RedisConnection {
  const role = ROLE_OPTIONS[settings.role];
  const common: RedisOptions = {
    ...role,
    ...(settings.name ? { connectionName: settings.name } : {}),
    ...(settings.lazyConnect ? { lazyConnect: true } : {}),
  };
  if (!settings.clusterNodes) return new Redis(settings.url, common);

  const { lazyConnect, ...perNode } = common;
  const clusterOptions: ClusterOptions = {
    // Per-node connections take the role's options; ioredis still forces their own offline
    // queue on (they connect lazily and queue until their socket is up), so fail-fast is
    // the Cluster's own enableOfflineQueue below.
    redisOptions: { ...urlCredentials(settings.url), ...perNode },
    // false: a command while the cluster is not ready (down, re-discovering slots) is
    // rejected at once ("Cluster isn't ready and enableOfflineQueue options is false").
    enableOfflineQueue: perNode.enableOfflineQueue ?? true,
    ...(lazyConnect ? { lazyConnect: true } : {}),
  };
  return new Cluster(parseClusterNodes(settings.clusterNodes), clusterOptions);
}

/** Whether a client is a Cluster (without importing ioredis at the call site). */
export function isCluster(client: RedisConnection): client is Cluster {
  return client instanceof Cluster;
}

/**
 * The servers that hold keys: every master of a Cluster, or the one server. SCAN, KEYS,
 * INFO and DBSIZE answer for one node only, so a Cluster must be walked node by node.
 */
export function keyHolders(client: RedisConnection): Redis[] {
  return isCluster(client) ? client.nodes("master") : [client];
}

/** Every key matching `pattern`, across all masters of a Cluster. */
export async function* scanKeys(client: RedisConnection, pattern: string, count = 1000): AsyncGenerator<string[]> {
  for (const node of keyHolders(client)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== "0");
  }
}

/**
 * Deletes every key matching `pattern` (tests, cleanup tools; never FLUSHALL on a shared
 * server). On a Cluster one UNLINK per key: keys of one command must share a slot.
 */
export async function unlinkKeys(client: RedisConnection, pattern: string): Promise<number> {
  let deleted = 0;
  const cluster = isCluster(client);
  for await (const keys of scanKeys(client, pattern)) {
    if (cluster) for (const key of keys) deleted += await client.unlink(key);
    else deleted += await client.unlink(...keys);
  }
  return deleted;
}

/** For BullMQ workers (and the worker's own queues); see RedisRole "worker". */
export function createWorkerConnection(settings: RedisConnectionSettings): RedisConnection {
  return createRedisClient({ ...settings, role: "worker" });
}

/** For producers in request paths (the API); see RedisRole "producer". */
export function createProducerConnection(settings: RedisConnectionSettings): RedisConnection {
  return createRedisClient({ ...settings, role: "producer" });
}
