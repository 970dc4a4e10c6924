export * from "./queue-names.ts";
export * from "./stray-payment-refund.ts";
export * from "./job-payloads.ts";
export * from "./job-options.ts";
export * from "./prefix.ts";
export * from "./connections.ts";
export * from "./create-queues.ts";
export * from "./make-stray-payment-refund.ts";
