// Types of scripts/redis-cluster.mjs for the TypeScript tests that start a cluster.
export type LocalRedisCluster = {
  ports: number[];
  dir: string;
  /** REDIS_CLUSTER_NODES for this cluster: "127.0.0.1:p1,127.0.0.1:p2,..." */
  nodes: string;
  stop: () => Promise<void>;
};

export declare const DEFAULT_PORTS: number[];
export declare const DEFAULT_DIR: string;
export declare const HAS_REDIS_BINARIES: boolean;
export declare function randomPorts(count?: number): number[];
export declare function startClusterOnRandomPorts(count?: number): Promise<LocalRedisCluster>;
export declare function startCluster(options?: { ports?: number[]; dir?: string }): Promise<LocalRedisCluster>;
export declare function stopCluster(options?: { ports?: number[]; dir?: string }): Promise<void>;
