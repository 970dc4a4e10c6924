// The reliability table: one row per scenario, as docs/RELIABILITY.md shows it.
import type { ScenarioResult } from "./scenarios.ts";

export function verdict(r: Pick<ScenarioResult, "violations">): "PASS" | "FAIL" {
  return r.violations.length === 0 ? "PASS" : "FAIL";
}

/** A Markdown table (readable as plain text too). */
export function formatTable(results: ScenarioResult[]): string {
  const head = ["fault", "count", "orders in flight", "lost", "duplicated", "violations", "verdict", "time"];
  const rows = results.map((r) => [
    r.fault,
    String(r.count),
    String(r.inFlight),
    String(r.lost),
    String(r.duplicated),
    String(r.violations.length),
    verdict(r),
    `${(r.durationMs / 1000).toFixed(0)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

export function formatDetails(results: ScenarioResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.name} (${r.fault}): ${verdict(r)}, ${r.orders} orders`);
    for (const n of r.notes) out.push(`  · ${n}`);
    const byRule = new Map<string, string[]>();
    for (const v of r.violations) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v.detail]);
    for (const [rule, details] of byRule) {
      out.push(`  ✗ ${rule} (${details.length})`);
      for (const d of details.slice(0, 10)) out.push(`      ${d}`);
      if (details.length > 10) out.push(`      … ${details.length - 10} more`);
    }
  }
  return out.join("\n");
}
