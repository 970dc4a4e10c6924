import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { problemBody } from "./problem.ts";

function raw(status: number, headers: Record<string, string>, body = ""): string {
  const lines = Object.entries({ ...headers, "Content-Length": String(Buffer.byteLength(body)), Connection: "close" });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n${body}`;
}

/**
 * The Node server's `clientError`: a request it cannot parse (a NUL or other forbidden byte in
 * a header, say) never reaches the app, so it is answered here as the app would, 400
 * VALIDATION_FAILED as a problem. Too slow (headers or body past their timeout) is 408, headers
 * too large 431, as Node itself answers them. The socket is closed either way.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  let response: string;
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") response = raw(408, {});
  else if (err.code === "HPE_HEADER_OVERFLOW") response = raw(431, {});
  else {
    const body = JSON.stringify(problemBody("VALIDATION_FAILED", "The request is not valid HTTP (e.g. a NUL character in a header)"));
    response = raw(400, { "Content-Type": "application/problem+json" }, body);
  }
  socket.end(response, () => socket.destroy());
}
