// Summarizes V8 .cpuprofile files: self time aggregated by function + url, top N.
//   pnpm bench:profile <file-or-dir> [--top 25]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { flag, fmt, table } from "./report.ts";

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
type Profile = { nodes: Node[]; samples?: number[]; timeDeltas?: number[]; startTime: number; endTime: number };

export function summarizeProfile(profile: Profile, top: number): { rows: (string | number)[][]; totalMs: number } {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next sample (V8's convention).
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const byKey = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byNode.get(id);
    if (!n) continue;
    total += us;
    const url = n.callFrame.url.replace(/^file:\/\//, "").replace(/.*node_modules\/\.pnpm\/([^/]+)\/node_modules\//, "$1: ").replace(/.*\/work\/main\//, "");
    const key = `${n.callFrame.functionName || "(anonymous)"}\t${url ? `${url}:${n.callFrame.lineNumber + 1}` : ""}`;
    byKey.set(key, (byKey.get(key) ?? 0) + us);
  }
  const rows = [...byKey]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [fn, where] = key.split("\t");
      return [fmt(us / 1000, 0), `${fmt((100 * us) / total, 1)} %`, fn!, (where ?? "").slice(-90)];
    });
  return { rows, totalMs: total / 1000 };
}

const target = process.argv[2];
if (!target) {
  console.error("usage: pnpm bench:profile <file.cpuprofile | dir> [--top 25]");
  process.exit(2);
}
const top = flag("top", 25);
// A directory holds one sub-directory per process; each process writes one profile per thread
// (tsx's loader thread too), so the largest file is the main thread's.
function profilesIn(dir: string): string[] {
  const entries = readdirSync(dir).map((f) => join(dir, f));
  const files = entries.filter((f) => f.endsWith(".cpuprofile"));
  const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  return [...(main ? [main] : []), ...entries.filter((f) => statSync(f).isDirectory()).flatMap(profilesIn)];
}
const files = statSync(target).isDirectory() ? profilesIn(target) : [target];
for (const file of files) {
  const { rows, totalMs } = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as Profile, top);
  console.log(`\n${basename(join(file, ".."))}/${basename(file)}: ${fmt(totalMs / 1000, 1)} s sampled`);
  console.log(table(["self ms", "share", "function", "where"], rows));
}
