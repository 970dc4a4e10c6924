import { randomUUID } from "node:crypto";
import { Queue, Worker } from "bullmq";
import { Redis, type Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAS_REDIS_BINARIES, startClusterOnRandomPorts, type LocalRedisCluster } from "../../../scripts/redis-cluster.mjs";
import {
  bullPrefix,
  createRedisClient,
  isCluster,
  keyHolders,
  parseClusterNodes,
  scanKeys,
  unlinkKeys,
  type RedisConnection,
} from "../src/index.ts";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

describe("createRedisClient", () => {
  it("parses REDIS_CLUSTER_NODES and refuses what is not host:port", () => {
    expect(parseClusterNodes(" 10.0.0.1:7000,redis-b:7001 ,redis-c")).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-b", port: 7001 },
      { host: "redis-c", port: 6379 },
    ]);
    expect(() => parseClusterNodes("a:b")).toThrow(/host:port/);
    expect(() => parseClusterNodes(" , ")).toThrow(/names no node/);
  });

  it("gives each role its outage behaviour, on one server and on a Cluster", () => {
    const clients: RedisConnection[] = [];
    const make = (role: "worker" | "producer" | "stock", clusterNodes?: string) => {
      const client = createRedisClient({ url: "redis://u:p%40ss@127.0.0.1:6379/2", clusterNodes, role, name: role, lazyConnect: true });
      clients.push(client);
      return client;
    };
    try {
      const worker = make("worker") as Redis;
      const producer = make("producer") as Redis;
      expect(worker).toBeInstanceOf(Redis);
      expect(worker.options.maxRetriesPerRequest).toBeNull();
      expect(worker.options.db).toBe(2);
      expect(producer.options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: "producer" });
      expect((make("stock") as Redis).options.maxRetriesPerRequest).toBe(3);

      const clusterWorker = make("worker", "127.0.0.1:7101,127.0.0.1:7102") as Cluster;
      const clusterProducer = make("producer", "127.0.0.1:7101") as Cluster;
      expect(isCluster(clusterWorker)).toBe(true);
      expect(clusterWorker.options.enableOfflineQueue).toBe(true);
      expect(clusterWorker.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, username: "u", password: "p@ss" });
      // Fail-fast lives on the Cluster: its node connections always queue until their socket is up.
      expect(clusterProducer.options.enableOfflineQueue).toBe(false);
      expect(clusterProducer.options.redisOptions).toMatchObject({ maxRetriesPerRequest: 1, connectionName: "producer" });
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it("scans and unlinks by pattern on one server", async () => {
    const redis = createRedisClient({ url: REDIS_URL, role: "worker" });
    const prefix = `test-scan-${randomUUID()}`;
    try {
      for (let i = 0; i < 30; i += 1) await redis.set(`${prefix}:${i}`, "x");
      let found = 0;
      for await (const keys of scanKeys(redis, `${prefix}:*`)) found += keys.length;
      expect(found).toBe(30);
      expect(await unlinkKeys(redis, `${prefix}:*`)).toBe(30);
    } finally {
      redis.disconnect();
    }
  });
});

// A real 3-master cluster from the installed redis-server (scripts/redis-cluster.mjs).
describe.skipIf(!HAS_REDIS_BINARIES)("on a 3-master Redis Cluster", () => {
  let cluster: LocalRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startClusterOnRandomPorts(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("scans every master, and BullMQ runs on the hash-tagged prefix", async () => {
    const redis = createRedisClient({ url: REDIS_URL, clusterNodes: cluster!.nodes, role: "worker" });
    const producer = createRedisClient({ url: REDIS_URL, clusterNodes: cluster!.nodes, role: "producer", lazyConnect: true });
    await producer.connect();
    const prefix = `test-${randomUUID()}`;
    let worker: Worker | undefined;
    let queue: Queue | undefined;
    try {
      // Keys with their own hash tags land on every master; SCAN on the client sees one node only.
      for (let i = 0; i < 60; i += 1) await producer.set(`${prefix}:{k${i}}`, "x");
      expect(keyHolders(redis)).toHaveLength(3);
      const perNode = await Promise.all(keyHolders(redis).map((n) => n.dbsize()));
      expect(perNode.every((n) => n > 0)).toBe(true);
      const found: string[] = [];
      for await (const keys of scanKeys(redis, `${prefix}:*`)) found.push(...keys);
      expect(found).toHaveLength(60);

      // BullMQ's scripts touch many keys of a queue at once: the {prefix} tag keeps them in one slot.
      const done = new Promise<string>((resolve) => {
        worker = new Worker("cluster-check", async (job) => resolve(String(job.data.n)), {
          connection: redis,
          prefix: bullPrefix(prefix),
        });
      });
      queue = new Queue("cluster-check", { connection: producer, prefix: bullPrefix(prefix) });
      await queue.add("n", { n: 42 }, { delay: 200 });
      expect(await done).toBe("42");

      expect(await unlinkKeys(redis, `${prefix}:*`)).toBe(60);
    } finally {
      await worker?.close();
      await queue?.close();
      redis.disconnect();
      producer.disconnect();
    }
  });

  it("a producer client fails at once while the cluster is down", async () => {
    const producer = createRedisClient({ url: REDIS_URL, clusterNodes: cluster!.nodes, role: "producer", lazyConnect: true });
    producer.on("error", () => {});
    await producer.connect();
    try {
      await cluster!.stop();
      cluster = undefined;
      // The first commands may meet the closing sockets; after that the Cluster is not ready.
      for (let i = 0; i < 5; i += 1) {
        const started = Date.now();
        await expect(producer.set(`test-${randomUUID()}`, "x")).rejects.toThrow();
        expect(Date.now() - started).toBeLessThan(1_000);
      }
      await expect(producer.get("any")).rejects.toThrow(/enableOfflineQueue|Connection is closed|None of startup nodes/);
    } finally {
      producer.disconnect();
    }
  });
});
