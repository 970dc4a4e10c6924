import type { Actor } from "./actor.ts";

/** What every action needs from outside: who acts, the time, and fresh UUIDs (event/audit ids). */
export type ActionContext = { actor: Actor; now: Date; newId: () => string };
