import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { Logger } from "@order-flow/config";
import type { AppEnv } from "../context.ts";

const VALID_ID = /^[\w\-.:]{1,200}$/;

/** Runs first: every response carries X-Request-Id and every log line of the request its id. */
export function requestId({ log, headerName = "X-Request-Id" }: { log: Logger; headerName?: string }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const sent = c.req.header(headerName);
    const id = sent && VALID_ID.test(sent) ? sent : randomUUID();
    c.set("requestId", id);
    c.set("log", log.child({ requestId: id }));
    c.header(headerName, id);
    await next();
    c.res.headers.set(headerName, id);
  });
}
