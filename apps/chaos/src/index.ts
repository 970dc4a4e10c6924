// Fault injection (issue 7) as a library: the private deployment and the scenarios.
export { freePort, PrivatePostgres, PrivateRedis } from "./environment.ts";
export { formatDetails, formatTable, verdict } from "./report.ts";
export { classify, SCENARIOS, type ChaosContext, type Scenario, type ScenarioResult } from "./scenarios.ts";
export { SystemUnderTest } from "./system.ts";
export { parseChaosArgs, type ChaosArgs } from "./args.ts";
