// Live progress line and the final summary table.
import { FLOWS } from "./options.ts";
import type { Stats } from "./stats.ts";

const STATUS_ABBREV: Record<string, string> = {
  STOCK_RESERVED: "RSV",
  PAYMENT_PENDING: "PEND",
  PAYMENT_FAILED: "PFAIL",
  PAYMENT_COMPLETED: "PAID",
  ORDER_CONFIRMED: "CONF",
  PREPARING: "PREP",
  READY_FOR_DELIVERY: "READY",
  DELIVERING: "DLVG",
  DELIVERED: "DLVD",
  COMPLETED: "DONE",
  PAYMENT_TIMEOUT: "TIMEOUT",
  ORDER_CANCELLED: "CNCL",
  REFUND_REQUESTED: "RFREQ",
  REFUND_COMPLETED: "RFND",
  REFUND_FAILED: "RFFAIL",
  STOCK_RESERVATION_FAILED: "OOS",
  STORE_REJECTED: "REJ",
};

export class Progress {
  private lastCount = 0;
  private lastAt = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private readonly tty: boolean;

  constructor(
    private readonly stats: Stats,
    private readonly out: NodeJS.WriteStream = process.stderr,
    options: { plain?: boolean } = {},
  ) {
    this.tty = Boolean(out.isTTY) && !options.plain;
  }

  start(): void {
    // A terminal gets one redrawn line each second; a log gets a line every five seconds.
    this.timer = setInterval(() => this.print(), this.tty ? 1000 : 5000);
    this.timer.unref();
  }

  line(): string {
    const now = Date.now();
    const count = this.stats.orders.size;
    const rate = ((count - this.lastCount) * 1000) / Math.max(1, now - this.lastAt);
    this.lastCount = count;
    this.lastAt = now;
    const statuses = [...this.stats.byStatus()]
      .sort((a, b) => b[1] - a[1])
      .map(([s, n]) => `${STATUS_ABBREV[s] ?? s}:${n}`)
      .join(" ");
    const elapsed = ((now - this.stats.startedAt) / 1000).toFixed(0);
    return `[${elapsed}s] orders ${count} (${rate.toFixed(1)}/s) in-flight ${this.stats.inFlight} errors ${this.stats.totalErrors()} | ${statuses}`;
  }

  print(): void {
    const text = this.line();
    if (this.tty) {
      const width = this.out.columns ?? 120;
      this.out.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
    } else {
      this.out.write(`${text}\n`);
    }
  }

  /** Free-form message that must not be overwritten by the progress line. */
  note(text: string): void {
    if (this.tty) this.out.write("\r\x1b[2K");
    this.out.write(`${text}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) this.out.write("\r\x1b[2K");
  }
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(fmt)].join("\n");
}

export function summary(stats: Stats): string {
  const out: string[] = [];
  const end = stats.finishedAt ?? Date.now();
  const seconds = (end - stats.startedAt) / 1000;
  const created = stats.orders.size;
  const lat = stats.createLatency();
  out.push(
    `orders created ${created} of ${stats.arrivals} arrivals in ${seconds.toFixed(1)}s (${(created / Math.max(seconds, 0.001)).toFixed(1)}/s); ` +
      `late starts (in-flight cap) ${stats.lateStarts}; unknown create outcomes ${stats.ambiguousCreates}`,
  );
  out.push(
    `POST /orders latency: p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms (${lat.count} samples)`,
  );

  const routes = stats.routeLatency().sort((a, b) => b.count - a.count);
  if (routes.length) {
    out.push("", "latency by request (ms):");
    out.push(table(["request", "count", "p50", "p99"], routes.map((r) => [r.route, r.count, r.p50.toFixed(1), r.p99.toFixed(1)])));
  }

  const byFlow = stats.byFlowAndStatus();
  const statuses = [...stats.byStatus()].sort((a, b) => b[1] - a[1]).map(([s]) => s);
  const flows = FLOWS.filter((f) => (stats.started.get(f) ?? 0) > 0);
  out.push("", "final status by flow:");
  out.push(
    table(
      ["status", ...flows, "total"],
      statuses.map((s) => [
        s,
        ...flows.map((f) => byFlow.get(f)?.get(s) ?? 0),
        stats.byStatus().get(s) ?? 0,
      ]),
    ),
  );
  out.push(
    table(
      ["flows started", ...flows, "total"],
      [["", ...flows.map((f) => stats.started.get(f) ?? 0), [...stats.started.values()].reduce((a, b) => a + b, 0)]],
    ),
  );
  if (stats.outcomes.size) {
    out.push("", "outcomes worth knowing:");
    out.push(table(["outcome", "count"], [...stats.outcomes].sort((a, b) => b[1] - a[1])));
  }
  out.push("", stats.errors.size ? "errors:" : "errors: none");
  if (stats.errors.size) out.push(table(["error", "count"], [...stats.errors].sort((a, b) => b[1] - a[1])));
  if (stats.retries.size) {
    out.push("", "retried requests (429/503/transport):");
    out.push(table(["request", "count"], [...stats.retries].sort((a, b) => b[1] - a[1])));
  }
  return out.join("\n");
}
