import type { DomainEvent, OutboxSink } from "@order-flow/domain";
import type { Queues } from "./create-queues.ts";
import type { JobPayload } from "./job-payloads.ts";
import { addOutboxJobs, committedJobsByQueue, type OutboxEntry, type OutboxJob } from "./outbox-jobs.ts";

export type OutboxDispatcherOptions = {
  queues: Queues;
  /** marks the rows of events now in the queues as sent (one statement per batch) */
  markSent: (ids: string[]) => Promise<void>;
  /** jobs just added, for metrics */
  onPublished?: (jobs: readonly OutboxJob[]) => void;
  /** a dispatch or mark that failed; the relay repeats it */
  onError?: (error: unknown, stage: "enqueue" | "mark") => void;
  /** sent marks are gathered this long, so one UPDATE covers many commits */
  markEveryMs?: number;
  enqueueTimeoutMs?: number;
};

/**
 * Puts the events of a commit into BullMQ right after the commit, from the process that made
 * it: no NOTIFY in the commit, no relay round trip. Commits of one tick share an addBulk per
 * queue; the sent marks of many commits share one UPDATE. Whatever is lost here (a crash, a
 * Redis error) stays unsent in the outbox and the relay publishes it.
 */
export class OutboxDispatcher {
  readonly #o: Required<Omit<OutboxDispatcherOptions, "onPublished" | "onError">> & OutboxDispatcherOptions;
  #pending: (OutboxEntry & { payload: JobPayload })[] = [];
  #flushScheduled = false;
  #inFlight = new Set<Promise<void>>();
  #sent: string[] = [];
  #markTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: OutboxDispatcherOptions) {
    this.#o = { markEveryMs: 250, enqueueTimeoutMs: 5_000, ...options };
  }

  /** The outbox sink: never throws, never waits. */
  readonly dispatch: OutboxSink = (committed) => {
    if (this.#closed) return;
    // The JSON form is what the relay reads back from the row: one payload shape either way.
    const due = committed.availableAt;
    for (const event of committed.events) {
      const payload = JSON.parse(JSON.stringify(event)) as DomainEvent;
      this.#pending.push({
        id: payload.eventId,
        payload,
        availableAt: due ?? new Date(payload.occurredAt),
        orderNumber: committed.orderNumber,
        traceContext: committed.traceContext,
      });
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#track(this.#flush()));
    }
  };

  /** Finishes the enqueues in flight and writes the last sent marks. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pending.length > 0) this.#track(this.#flush());
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    if (this.#markTimer) clearTimeout(this.#markTimer);
    this.#markTimer = null;
    await this.#mark();
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const entries = this.#pending;
    this.#pending = [];
    if (entries.length === 0) return;
    // Every payload came from the domain's own events: not parsed again (see committedJobsByQueue).
    const byQueue = committedJobsByQueue(entries, Date.now());
    try {
      await addOutboxJobs(this.#o.queues, byQueue, this.#o.enqueueTimeoutMs);
    } catch (error) {
      this.#o.onError?.(error, "enqueue");
      return;
    }
    const jobs = [...byQueue.values()].flat();
    this.#o.onPublished?.(jobs);
    for (const job of jobs) this.#sent.push(job.opts.jobId);
    if (this.#closed) return;
    this.#markTimer ??= setTimeout(() => {
      this.#markTimer = null;
      this.#track(this.#mark());
    }, this.#o.markEveryMs);
  }

  async #mark(): Promise<void> {
    const ids = this.#sent;
    this.#sent = [];
    if (ids.length === 0) return;
    try {
      await this.#o.markSent(ids);
    } catch (error) {
      this.#o.onError?.(error, "mark");
    }
  }
}
