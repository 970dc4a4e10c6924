/**
 * The path of the first string (or object key) holding a NUL character, or null. PostgreSQL
 * stores no NUL in text or jsonb, so such input must be refused before it gets that far.
 */
export function findNul(value: unknown, path = ""): string | null {
  if (typeof value === "string") return value.includes("\u0000") ? path || "(root)" : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], path ? `${path}.${i}` : String(i));
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key.includes("\u0000")) return at;
      const found = findNul(inner, at);
      if (found !== null) return found;
    }
  }
  return null;
}
