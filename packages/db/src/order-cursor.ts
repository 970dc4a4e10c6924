const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque keyset cursor over (created_at DESC, id DESC). */
export type OrderCursor = { createdAt: Date; id: string };

export function encodeCursor(cursor: OrderCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString("base64url");
}

/** Returns null for anything that is not a cursor this service issued. */
export function decodeCursor(raw: string): OrderCursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [at, id] = parsed as unknown[];
    if (typeof at !== "string" || typeof id !== "string") return null;
    // Exactly what encodeCursor writes: an ISO instant that reads back the same, and a UUID.
    if (!ISO_INSTANT.test(at)) return null;
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) return null;
    if (!UUID.test(id)) return null;
    return { createdAt, id: id.toLowerCase() };
  } catch {
    return null;
  }
}
