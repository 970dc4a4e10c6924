import type { ReleaseReason, StockLine } from "../../src/types.ts";

/** A tiny seeded PRNG (mulberry32): the same seed replays the same run. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

type ModelReservation = {
  storeId: string;
  orderId: string;
  items: StockLine[];
  state: "HELD" | "CONFIRMED" | "RELEASED";
  deadline: number;
  log: "RESERVED" | "CONFIRMED" | "RELEASED" | "EXPIRED";
};

/** The in-memory model the service is compared with: the same rules, no concurrency. */
export class StockModel {
  readonly products = new Map<string, { storeId: string; available: number; reserved: number; pgOnHand: number }>();
  readonly reservations = new Map<string, ModelReservation>();
  readonly paid = new Set<string>();

  constructor(readonly graceMs: number) {}

  addProduct(storeId: string, productId: string, onHand: number): void {
    this.products.set(productId, { storeId, available: onHand, reserved: 0, pgOnHand: onHand });
  }

  reserve(storeId: string, items: StockLine[]) {
    const sorted = [...items].sort((a, b) => (a.productId < b.productId ? -1 : 1));
    for (const { productId, quantity } of sorted) {
      const p = this.products.get(productId);
      if (!p || p.storeId !== storeId) {
        return { ok: false as const, reason: "UNKNOWN_PRODUCT" as const, productId, requested: quantity, available: 0 };
      }
      if (p.available < quantity) {
        return { ok: false as const, reason: "OUT_OF_STOCK" as const, productId, requested: quantity, available: p.available };
      }
    }
    return { ok: true as const };
  }

  applyHold(reservationId: string, storeId: string, orderId: string, items: StockLine[], deadline: number): void {
    for (const { productId, quantity } of items) {
      const p = this.products.get(productId)!;
      p.available -= quantity;
      p.reserved += quantity;
    }
    this.reservations.set(reservationId, { storeId, orderId, items, state: "HELD", deadline, log: "RESERVED" });
  }

  confirm(reservationId: string): "CONFIRMED" | "ALREADY_CONFIRMED" | "NOT_HELD" {
    const r = this.reservations.get(reservationId);
    if (!r || r.state === "RELEASED") return "NOT_HELD";
    if (r.state === "CONFIRMED") return "ALREADY_CONFIRMED";
    for (const { productId, quantity } of r.items) {
      const p = this.products.get(productId)!;
      p.reserved -= quantity;
      p.pgOnHand -= quantity;
    }
    r.state = "CONFIRMED";
    r.log = "CONFIRMED";
    return "CONFIRMED";
  }

  release(reservationId: string, reason: ReleaseReason): "RELEASED" | "ALREADY_RELEASED" | "UNKNOWN" {
    const r = this.reservations.get(reservationId);
    if (!r) return "UNKNOWN";
    if (r.state === "RELEASED") return "ALREADY_RELEASED";
    for (const { productId, quantity } of r.items) {
      const p = this.products.get(productId)!;
      p.available += quantity;
      if (r.state === "HELD") p.reserved -= quantity;
      else p.pgOnHand += quantity;
    }
    r.log = r.state === "CONFIRMED" ? "RELEASED" : reason === "TIMEOUT" || reason === "EXPIRED" ? "EXPIRED" : "RELEASED";
    r.state = "RELEASED";
    return "RELEASED";
  }

  sweep(now: number): string[] {
    const released: string[] = [];
    for (const [id, r] of this.reservations) {
      if (r.state === "HELD" && r.deadline <= now - this.graceMs && !this.paid.has(r.orderId)) {
        this.release(id, "EXPIRED");
        released.push(id);
      }
    }
    return released.sort();
  }

  setOnHand(productId: string, onHand: number) {
    const p = this.products.get(productId)!;
    if (onHand < p.reserved) return { ok: false as const, code: "STOCK_HELD" as const, reserved: p.reserved };
    p.available = onHand - p.reserved;
    p.pgOnHand = onHand;
    return { ok: true as const };
  }
}
