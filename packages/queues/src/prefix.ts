/**
 * BullMQ key prefix for a deployment prefix: "of" → "{of}". The braces are a Redis Cluster
 * hash tag, so every key of every queue lands in one slot (BullMQ's Lua scripts touch many
 * keys of a queue at once). Stock keys use the bare prefix ("of:stock:…"), so they differ.
 */
export function bullPrefix(redisPrefix: string): string {
  const bare = redisPrefix.replace(/[:{}]+/g, "") || "of";
  return `{${bare}}`;
}
