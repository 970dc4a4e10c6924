// `npm run test:chaos -- [--only a,b] [--quick] [--seed N] [--keep-logs] [--report-timing] [--deadline-burst N] [--stripe]`
export type ChaosArgs = {
  only: string[] | null;
  quick: boolean;
  seed: number;
  keepLogs: boolean;
  /** timing targets missed are reported, not failed (a shared CI machine cannot hold them) */
  reportTiming: boolean;
  /** PAID webhooks sent around expires_at by webhook-deadline (default 1000, 150 with --quick) */
  deadlineBurst: number | null;
  /** PAYMENT_GATEWAY=stripe against a local Stripe-compatible server (sandbox-only scenarios skipped) */
  stripe?: true;
};

export const CHAOS_USAGE =
  "usage: npm run test:chaos -- [--only name,name] [--quick] [--seed N] [--keep-logs] [--report-timing] [--deadline-burst N] [--stripe]";

export function parseChaosArgs(argv: string[], known: readonly string[], now = Date.now()): ChaosArgs {
  const args: ChaosArgs = { only: null, quick: false, seed: now % 2 ** 31, keepLogs: false, reportTiming: false, deadlineBurst: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") continue;
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (name === "--quick") args.quick = true;
    else if (name === "--keep-logs") args.keepLogs = true;
    else if (name === "--report-timing") args.reportTiming = true;
    else if (name === "--stripe") args.stripe = true;
    else if (name === "--deadline-burst") {
      const value = Number(inline ?? argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`--deadline-burst needs a positive integer
${CHAOS_USAGE}`);
      args.deadlineBurst = value;
    } else if (name === "--only" || name === "--seed") {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${name} needs a value\n${CHAOS_USAGE}`);
      if (name === "--seed") {
        args.seed = Number(value);
        if (!Number.isInteger(args.seed)) throw new Error(`--seed needs an integer\n${CHAOS_USAGE}`);
      } else {
        args.only = value.split(",").map((s) => s.trim()).filter(Boolean);
        const unknown = args.only.filter((s) => !known.includes(s));
        if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}; known: ${known.join(", ")}`);
      }
    } else throw new Error(`unexpected argument ${a}\n${CHAOS_USAGE}`);
  }
  return args;
}
