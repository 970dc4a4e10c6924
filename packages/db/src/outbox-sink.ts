import type { OutboxSink } from "@order-flow/domain";
import type pg from "pg";

/** Each pool's sink: OrderWrite.run hands it what it has just committed. */
const sinks = new WeakMap<pg.Pool, OutboxSink>();

/** Hands the events committed on `pool` to `sink` (null: leave them all to the relay). */
export function setOutboxSink(pool: pg.Pool, sink: OutboxSink | null): void {
  if (sink) sinks.set(pool, sink);
  else sinks.delete(pool);
}

export function outboxSinkOf(pool: pg.Pool): OutboxSink | undefined {
  return sinks.get(pool);
}
