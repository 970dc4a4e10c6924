import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Queue } from "bullmq";
import { Hono } from "hono";
import { boardActionGuard } from "./board-actions.ts";

/** Where the queue dashboard lives; the same path goes to the adapter so its links and assets resolve. */
export const BOARD_PATH = "/admin/queues";

export type QueueBoardOptions = {
  /** ADMIN_QUEUE_DESTRUCTIVE_ACTIONS: empty, obliterate, clean and job edits (default: refused) */
  allowDestructive?: boolean;
};

/**
 * Bull Board over the given queues, as a Hono app to mount at BOARD_PATH (auth is the
 * caller's). Retries allowed: operators retry dead-lettered jobs from here. The board's
 * per-queue `readOnlyMode` would refuse retries too, so the destructive actions are refused
 * by a `before` hook instead (see board-actions.ts).
 */
export function queueBoard(queues: readonly Queue[], options: QueueBoardOptions = {}) {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: false, allowRetries: true })),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: "order-flow" },
      handlerHooks: boardActionGuard({ allowDestructive: options.allowDestructive ?? false }),
    },
  });
  const plugin = serverAdapter.registerPlugin();

  // The board's own links end in "/" (its home is `${BOARD_PATH}/`); the adapter registers
  // its pages without one, so a reload or a bookmark of such a link found no route. A GET
  // ending in "/" is served as the same path without it.
  const board = new Hono();
  board.get("*", async (c, next) => {
    const url = new URL(c.req.url);
    if (!url.pathname.endsWith("/")) return next();
    url.pathname = url.pathname.slice(BOARD_PATH.length).replace(/\/+$/, "") || "/";
    const res = await plugin.fetch(new Request(url, c.req.raw), c.env);
    return res.status === 404 ? next() : res;
  });
  board.route("/", plugin);
  return board;
}
