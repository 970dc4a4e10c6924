import { Redis, Cluster, type RedisOptions } from "ioredis";

export type RedisConnectionSettings = {
  /** redis://host:port/db: a database number in the URL is honoured by ioredis */
  url: string;
  /** "host:port,host:port": use a Redis Cluster instead of `url` */
  clusterNodes?: string | undefined;
  /** connection name seen in CLIENT LIST */
  name?: string;
};

export type RedisConnection = Redis | Cluster;

function connect(settings: RedisConnectionSettings, options: RedisOptions): RedisConnection {
  const named: RedisOptions = settings.name ? { ...options, connectionName: settings.name } : options;
  if (settings.clusterNodes) {
    const nodes = settings.clusterNodes.split(",").map((hostPort) => {
      const [host, port] = hostPort.trim().split(":");
      return { host: host ?? "127.0.0.1", port: Number(port ?? 6379) };
    });
    return new Cluster(nodes, { redisOptions: named, enableOfflineQueue: named.enableOfflineQueue ?? true });
  }
  return new Redis(settings.url, named);
}

/**
 * For BullMQ workers (and the worker's own queues): commands wait through a Redis outage
 * instead of failing, as BullMQ requires (maxRetriesPerRequest: null).
 */
export function createWorkerConnection(settings: RedisConnectionSettings): RedisConnection {
  return connect(settings, { maxRetriesPerRequest: null });
}

/**
 * For producers in request paths (the API): no offline queue and one retry, so a Redis
 * outage fails the request at once (503) instead of hanging it.
 */
export function createProducerConnection(settings: RedisConnectionSettings): RedisConnection {
  return connect(settings, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
}
