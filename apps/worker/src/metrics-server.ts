import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { Logger } from "@order-flow/config";
import type { WorkerMetrics } from "./metrics.ts";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

function authorized(header: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? "";
  // Digests first: equal lengths, so the comparison takes the same time whatever was sent.
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * The worker's /metrics (Prometheus text; with METRICS_TOKEN set, only for
 * `Authorization: Bearer <token>`, else 401) and /healthz (always open).
 */
export function startMetricsServer(options: { port: number; metrics: WorkerMetrics; token?: string | undefined; log: Logger }): Server {
  const { metrics, token, log } = options;
  const server = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/metrics") {
      if (!authorized(req.headers.authorization, token)) {
        res
          .writeHead(401, { "content-type": "application/problem+json", "www-authenticate": "Bearer" })
          .end(JSON.stringify({ type: "about:blank", title: "Authentication required", status: 401, detail: "The metrics token is missing or wrong", code: "UNAUTHENTICATED" }));
        return;
      }
      void metrics.text().then(
        (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
        (error: unknown) => {
          log.warn({ err: error }, "metrics scrape failed");
          res.writeHead(500).end();
        },
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    } else {
      res.writeHead(404).end();
    }
  });
  server.on("error", (error) => log.warn({ err: error }, "metrics server unavailable"));
  return server.listen(options.port);
}
