export * from "./order-store.ts";
