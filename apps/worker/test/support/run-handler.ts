import type { JobPayload } from "@order-flow/queues";
import type { Handler, HandlerContext, JobInfo } from "../../src/handler.ts";
import { HANDLERS } from "../../src/handlers/index.ts";
import type { WorkerDeps } from "../../src/worker-deps.ts";

/** Runs the payload's handler directly, as a job would (first delivery unless `job` says otherwise). */
export function runHandler(deps: WorkerDeps, payload: JobPayload, job: Partial<JobInfo> = {}): Promise<void> {
  const context: HandlerContext = {
    ...deps,
    job: {
      queue: "direct",
      id: payload.eventId,
      attempt: 1,
      attempts: 3,
      isLastAttempt: false,
      redelivered: false,
      note: async () => {},
      delayUntil: async () => {
        throw new Error("not due");
      },
      ...job,
    },
  };
  return (HANDLERS[payload.type] as Handler<typeof payload.type>)(payload as never, context);
}
