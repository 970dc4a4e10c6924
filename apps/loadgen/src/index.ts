// The loadgen as a library: the scale-out script and tests drive it in-process.
export { ApiClient, TransportError, type ApiResponse } from "./api-client.ts";
export { checkInvariants, formatViolations, type CheckInput, type CheckReport, type Violation } from "./check-invariants.ts";
export { checkStripeBooks } from "./check-stripe-books.ts";
export { DEFAULT_MIX, FLOWS, parseArgs, parseDuration, parseMix, UsageError, type Flow, type LoadOptions, type Mix } from "./options.ts";
export { runLoad, type LoadHooks, type LoadResult } from "./run-load.ts";
export { formatRunReport } from "./run-report.ts";
export { waitUntilSettled, type SettleResult, type Unsettled } from "./settle.ts";
export { Stats, type TrackedOrder } from "./stats.ts";
export { waitForStockFollowUps } from "./stock-follow-ups.ts";
export { deleteKeysByPrefix, dropDatabase, freePort } from "./cluster.ts";
export { createRng } from "./world.ts";
