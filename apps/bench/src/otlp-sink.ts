// A local OTLP/HTTP trace sink for measuring the cost of tracing: accepts every export
// (protobuf or JSON) and discards it, counting requests and bytes.
//   pnpm bench:otlp-sink [--port 4318]
import { createServer } from "node:http";
import { flag } from "./report.ts";

const port = flag("port", 4318);
let requests = 0;
let bytes = 0;
createServer((req, res) => {
  req.on("data", (chunk: Buffer) => (bytes += chunk.length));
  req.on("end", () => {
    requests++;
    res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/x-protobuf" }).end();
  });
}).listen(port, "127.0.0.1", () => console.log(`otlp sink on http://127.0.0.1:${port}`));
setInterval(() => console.log(`otlp sink: ${requests} exports, ${(bytes / 1e6).toFixed(1)} MB`), 10_000).unref();
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
