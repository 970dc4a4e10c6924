// An open-loop sender: task i is due at start + i / rate, whatever the earlier ones are doing,
// and its latency is measured from that scheduled time (no coordinated omission). In-flight
// tasks are bounded; a due task that finds the bound reached waits locally, and that wait
// counts in its latency.
export type OpenLoopResult = {
  scheduled: number;
  ok: number;
  errors: number;
  /** still not finished `drainMs` after the last was due */
  unfinished: number;
  /** ms from the scheduled time to completion, of the tasks that succeeded */
  latencies: number[];
  /** tasks actually started per second over the sending window */
  achievedRate: number;
  firstError: string | null;
};

export async function openLoop(options: {
  rate: number;
  durationMs: number;
  maxInFlight: number;
  drainMs?: number;
  task: (i: number) => Promise<unknown>;
}): Promise<OpenLoopResult> {
  const total = Math.round((options.rate * options.durationMs) / 1000);
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let done = 0;
  let inFlight = 0;
  let started = 0;
  let firstError: string | null = null;
  const waiting: number[] = [];
  const t0 = performance.now() + 20;
  const dueAt = (i: number) => t0 + (i * 1000) / options.rate;
  let lastStart = t0;
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((r) => (resolveAll = r));

  const launch = (i: number) => {
    inFlight++;
    started++;
    lastStart = performance.now();
    options.task(i).then(
      () => {
        ok++;
        latencies.push(performance.now() - dueAt(i));
      },
      (error: unknown) => {
        errors++;
        firstError ??= String(error);
      },
    ).finally(() => {
      inFlight--;
      done++;
      const next = waiting.shift();
      if (next !== undefined) launch(next);
      if (done === total) resolveAll();
    });
  };

  // A 1 ms ticker releases every task that has come due (timers are coarse; due times are not).
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && dueAt(next) <= now) {
        if (inFlight < options.maxInFlight) launch(next);
        else waiting.push(next);
        next++;
      }
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(5, dueAt(next) - performance.now())));
    };
    tick();
  });
  const sendWindowS = Math.max(0.001, (lastStart - t0) / 1000);
  if (total > 0) {
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([allDone, new Promise((r) => (drainTimer = setTimeout(r, options.drainMs ?? 30_000)))]);
    clearTimeout(drainTimer); // a pending timer would keep the process alive after the run
  }
  return {
    scheduled: total,
    ok,
    errors,
    unfinished: total - done,
    latencies,
    achievedRate: started / sendWindowS,
    firstError,
  };
}
