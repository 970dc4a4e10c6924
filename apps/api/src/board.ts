import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Queue } from "bullmq";

/** Where the queue dashboard lives; the same path goes to the adapter so its links and assets resolve. */
export const BOARD_PATH = "/admin/queues";

/**
 * Bull Board over the given queues, as a Hono app to mount at BOARD_PATH (auth is the
 * caller's). Not read-only and retries allowed: operators retry dead-lettered jobs from here.
 */
export function queueBoard(queues: readonly Queue[]) {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: false, allowRetries: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: "order-flow" } },
  });
  return serverAdapter.registerPlugin();
}
