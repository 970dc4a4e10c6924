/**
 * The path of the first string (or object key) holding a NUL character, or null. PostgreSQL
 * stores no NUL in text or jsonb, so such input must be refused before it gets that far.
 * Iterative: a body of 64 KiB may nest tens of thousands of levels deep.
 */
export function findNul(value: unknown): string | null {
  const pending: [unknown, string][] = [[value, ""]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, path] = next;
    if (typeof current === "string") {
      if (current.includes("\u0000")) return path || "(root)";
    } else if (current !== null && typeof current === "object") {
      const entries = Array.isArray(current) ? current.map((v, i) => [String(i), v] as const) : Object.entries(current);
      // Pushed in reverse, so the first offending field in document order is the one named.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        const at = path ? `${path}.${key}` : key;
        if (key.includes("\u0000")) return at.replaceAll("\u0000", "\\u0000");
        pending.push([inner, at]);
      }
    }
  }
  return null;
}
