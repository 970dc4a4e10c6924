// The benchmark toolkit as a library (the *.bench.ts files are the entry points).
export { BenchCluster, withCluster, type BenchProcess, type ClusterOptions } from "./cluster.ts";
export { HttpClient, type HttpResponse } from "./http.ts";
export { checkConservation, runLifecycle, seedForLifecycle, waitPreparing, type LifecycleResult } from "./lifecycle.ts";
export { openLoop, type OpenLoopResult } from "./open-loop.ts";
export { runCeiling, type CeilingResult } from "./pg-ceiling.ts";
export { percentile, summarize, table } from "./report.ts";
export { createOrder, placeAndPay, seedWorld, type World } from "./world.ts";
