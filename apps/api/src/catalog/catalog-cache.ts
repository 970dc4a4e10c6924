/** A catalog entry as an order line is priced from. */
export type CatalogEntry = { id: string; storeId: string; name: string; price: number };

export type CatalogCache = {
  /** The entries of these products (those that exist), from memory when fresh, else in one read. */
  entries(productIds: readonly string[]): Promise<Map<string, CatalogEntry>>;
  /** Reads these products again now (a write here, or an order's statement found them changed). */
  refresh(productIds: readonly string[]): Promise<Map<string, CatalogEntry>>;
  forget(productIds: readonly string[]): void;
};

/**
 * The catalog in memory, so a new order costs no catalog read. Never trusted blindly: the
 * order's own statement checks every line against p_product (OrderWrite.onlyIfCatalogAgrees)
 * and writes nothing when a name, price or store changed, and the order is priced again from a
 * fresh read. A stale entry costs a retry, never a wrong price; `ttlMs` only bounds how long a
 * change made through another process goes unseen by this one's first attempt.
 */
export function catalogCache(options: {
  read: (productIds: string[]) => Promise<CatalogEntry[]>;
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}): CatalogCache {
  const { read, ttlMs = 60_000, maxEntries = 50_000, now = Date.now } = options;
  const cached = new Map<string, { entry: CatalogEntry; until: number }>();

  async function refresh(productIds: readonly string[]): Promise<Map<string, CatalogEntry>> {
    const found = new Map<string, CatalogEntry>();
    if (productIds.length === 0) return found;
    const until = now() + ttlMs;
    for (const id of productIds) cached.delete(id);
    for (const entry of await read([...productIds])) {
      const kept = { id: entry.id, storeId: entry.storeId, name: entry.name, price: entry.price };
      found.set(entry.id, kept);
      if (ttlMs > 0) cached.set(entry.id, { entry: kept, until });
    }
    // Oldest first (insertion order): a bounded map, not an unbounded one.
    for (const id of cached.keys()) {
      if (cached.size <= maxEntries) break;
      cached.delete(id);
    }
    return found;
  }

  return {
    async entries(productIds) {
      const at = now();
      const found = new Map<string, CatalogEntry>();
      const missing: string[] = [];
      for (const id of productIds) {
        const hit = cached.get(id);
        if (hit && hit.until > at) found.set(id, hit.entry);
        else missing.push(id);
      }
      for (const [id, entry] of await refresh(missing)) found.set(id, entry);
      return found;
    },
    refresh,
    forget(productIds) {
      for (const id of productIds) cached.delete(id);
    },
  };
}
