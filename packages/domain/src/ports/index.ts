export * from "./order-store.ts";
export * from "./outbox.ts";
export * from "./reservation-ledger.ts";
