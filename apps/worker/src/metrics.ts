type Labels = Record<string, string>;

/** A few counters, exported as Prometheus text; enough for a worker without a metrics library. */
export class WorkerMetrics {
  readonly #counters = new Map<string, { help: string; values: Map<string, number> }>();

  inc(name: string, labels: Labels = {}, by = 1): void {
    const counter = this.#counters.get(name) ?? { help: name, values: new Map<string, number>() };
    this.#counters.set(name, counter);
    const key = Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
      .join(",");
    counter.values.set(key, (counter.values.get(key) ?? 0) + by);
  }

  value(name: string, labels: Labels = {}): number {
    const key = Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}="${v}"`)
      .join(",");
    return this.#counters.get(name)?.values.get(key) ?? 0;
  }

  toPrometheus(): string {
    const lines: string[] = [];
    for (const [name, counter] of this.#counters) {
      lines.push(`# TYPE ${name} counter`);
      for (const [key, value] of counter.values) lines.push(`${name}${key ? `{${key}}` : ""} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
