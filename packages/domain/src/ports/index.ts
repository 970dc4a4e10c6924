export * from "./reservation-ledger.ts";
