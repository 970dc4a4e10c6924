import { randomUUID } from "node:crypto";

/** Normalises a key prefix: "of" and "of:" both give "of:". A brace would change the hash tag. */
export function normalizePrefix(prefix: string): string {
  if (prefix.includes("{") || prefix.includes("}")) {
    throw new Error(`stock key prefix must not contain braces: ${prefix}`);
  }
  return prefix === "" || prefix.endsWith(":") ? prefix : `${prefix}:`;
}

/** Every key of one store carries the same hash tag, so each script touches one Cluster slot. */
export function storeKeys(prefix: string, storeId: string) {
  const base = `${prefix}stock:{store:${storeId}}:`;
  return {
    available: `${base}available`,
    reserved: `${base}reserved`,
    expiries: `${base}expiries`,
    recordPrefix: `${base}res:`,
    record: (reservationId: string) => `${base}res:${reservationId}`,
  };
}

export type StoreKeys = ReturnType<typeof storeKeys>;

/** Keys outside any store slot: the store list (for the sweep), the rebuild marker and lock. */
export function globalKeys(prefix: string) {
  return {
    stores: `${prefix}stock:stores`,
    epoch: `${prefix}stock:epoch`,
    rebuildLock: `${prefix}stock:rebuild-lock`,
  };
}

/** `<storeId>.<uuid>`: confirm and release find the store's keys without a lookup. */
export function newReservationId(storeId: string): string {
  return `${storeId}.${randomUUID()}`;
}

export function storeOfReservation(reservationId: string): string | null {
  const dot = reservationId.lastIndexOf(".");
  return dot > 0 ? reservationId.slice(0, dot) : null;
}
