import type { OutboxSink } from "@order-flow/domain";
import type { Database } from "./database.ts";

/** Each database's sink: OrderWrite.run hands it what it has just committed. */
const sinks = new WeakMap<Database, OutboxSink>();

/** Hands the events committed through `db` to `sink` (null: leave them all to the relay). */
export function setOutboxSink(db: Database, sink: OutboxSink | null): void {
  if (sink) sinks.set(db, sink);
  else sinks.delete(db);
}

export function outboxSinkOf(db: Database): OutboxSink | undefined {
  return sinks.get(db);
}
