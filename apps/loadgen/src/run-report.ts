// The text a finished run prints: the summary table, then what --check looked at.
import { summary } from "./report.ts";
import type { LoadResult } from "./run-load.ts";

export function formatRunReport(result: LoadResult): string {
  const lines = [summary(result.stats)];
  if (result.settle) {
    const s = result.settle;
    lines.push(
      "",
      `settled ${s.settled}/${s.settled + s.unsettled.length} orders in ${(s.elapsedMs / 1000).toFixed(1)}s after the load ended`,
    );
    if (s.unexpected.length) {
      lines.push(`rested in a status their flow did not aim for (allowed, listed for the record): ${s.unexpected.length}`);
      for (const u of s.unexpected.slice(0, 10)) lines.push(`  ${u.id} ${u.flow}: ${u.status} (aimed for ${u.expected.join("|")})`);
    }
  }
  if (result.check) {
    const c = Object.entries(result.check.checked)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    lines.push(`checked: ${c} (settle ${(result.timings.settleMs / 1000).toFixed(1)}s, check ${(result.timings.checkMs / 1000).toFixed(1)}s)`);
  }
  return lines.join("\n");
}
