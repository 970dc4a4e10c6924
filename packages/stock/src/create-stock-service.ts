import { Cluster, Redis } from "ioredis";
import { createPrisma } from "@order-flow/db";
import {
  RedisStockReservationService,
  type RedisStockReservationServiceOptions,
} from "./redis-stock-reservation-service.ts";

export type StockServiceHandle = {
  service: RedisStockReservationService;
  close: () => Promise<void>;
};

/** Builds the service with its own connections (the CLI, scripts); close() ends them. */
export function createStockService(
  options: { redisUrl: string; redisClusterNodes?: string; databaseUrl: string; prefix: string; poolSize?: number } & Omit<
    RedisStockReservationServiceOptions,
    "redis" | "prisma" | "prefix"
  >,
): StockServiceHandle {
  const { redisUrl, redisClusterNodes, databaseUrl, poolSize, ...rest } = options;
  const nodes = (redisClusterNodes ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => ({ host: n.slice(0, n.lastIndexOf(":")), port: Number(n.slice(n.lastIndexOf(":") + 1)) }));
  const redis =
    nodes.length > 0
      ? new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 3 } })
      : new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const prisma = createPrisma({ databaseUrl, poolSize: poolSize ?? 5 });
  const service = new RedisStockReservationService({ ...rest, redis, prisma });
  return {
    service,
    close: async () => {
      await prisma.$disconnect();
      redis.disconnect();
    },
  };
}
