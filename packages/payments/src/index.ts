export * from "./payment-gateway.ts";
export * from "./sandbox-ledger.ts";
export * from "./sandbox-payment-gateway.ts";
export * from "./webhook-signature.ts";
export * from "./stripe-payment-gateway.ts";
