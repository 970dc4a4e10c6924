import type { Logger } from "@order-flow/config";
import type { Job } from "bullmq";

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal"]);

/** Debug and info lines read as what happened; warnings and errors say so. */
function lineOf(level: string, args: unknown[]): string | null {
  const [first, second] = args;
  const message = typeof first === "string" ? first : typeof second === "string" ? second : null;
  if (message === null) return null;
  const err = (first as { err?: unknown } | null)?.err;
  const because = err instanceof Error ? `: ${err.message}` : "";
  return level === "warn" || level === "error" || level === "fatal" ? `${level}: ${message}${because}` : message + because;
}

/**
 * What one attempt of a job did, in the job's own log (BullMQ `job.log`, the dashboard's Logs
 * tab): a heading naming the order, the handler's log lines of every level (debug included,
 * whatever LOG_LEVEL says) in order, and how the attempt ended; written once it ends, for
 * attempts that failed, were put back or warned.
 */
export class JobJournal {
  readonly #lines: string[] = [];
  #warned = false;

  constructor(readonly heading: string) {}

  note(line: string): void {
    this.#lines.push(line);
  }

  /** `log`, with every call also noted here; children too. */
  logger(log: Logger): Logger {
    return new Proxy(log, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        if (property === "child") {
          return (...args: unknown[]) => this.logger((value as (...a: unknown[]) => Logger).apply(target, args));
        }
        if (typeof property === "string" && LEVELS.has(property)) {
          return (...args: unknown[]) => {
            const line = lineOf(property, args);
            if (line) this.#lines.push(line);
            if (property === "warn" || property === "error" || property === "fatal") this.#warned = true;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return value;
      },
    });
  }

  /**
   * An attempt that failed or was put back gets one entry per line. A finished attempt is one
   * entry, and only when its handler warned: a clean completion is told by the job's state, and
   * a log entry for each would be a Redis round trip per job on the hot path. Best effort: a job
   * whose handler is done must not fail because its log could not be written.
   */
  async write(job: Job, outcome: string, log: Logger, options: { finished: boolean }): Promise<void> {
    if (options.finished && !this.#warned) return;
    const lines = options.finished
      ? [`${this.heading}: ${[...this.#lines, outcome].join("; ")}`]
      : [this.heading, ...this.#lines, outcome];
    try {
      await Promise.all(lines.map((line) => job.log(line)));
    } catch (error) {
      log.warn({ err: error, jobId: job.id }, "could not write the job's log");
    }
  }
}
