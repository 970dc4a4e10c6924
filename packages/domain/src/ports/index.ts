export * from "./order-store.ts";
export * from "./reservation-ledger.ts";
