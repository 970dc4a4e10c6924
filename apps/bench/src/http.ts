// A lean keep-alive HTTP client: fetch's per-request overhead would eat the CPU the system
// under test shares with the load generator on this 2-core machine.
import http from "node:http";

export type HttpResponse = { status: number; body: string };

export class HttpClient {
  readonly #agent: http.Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(baseUrl: string, maxSockets = 256) {
    const url = new URL(baseUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  async request(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
    try {
      return await this.#send(method, path, body, headers);
    } catch (error) {
      // The server closed an idle keep-alive socket just as it was reused: the request never
      // reached it (Node's documented retry case), so sending it again is safe.
      if ((error as { reusedSocket?: boolean }).reusedSocket) return this.#send(method, path, body, headers);
      throw error;
    }
  }

  #send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.#agent,
          host: this.#host,
          port: this.#port,
          method,
          path,
          headers: {
            ...(payload !== undefined
              ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
              : {}),
            ...headers,
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", (error: NodeJS.ErrnoException) => {
        const unsent = req.reusedSocket && error.code === "ECONNRESET";
        reject(unsent ? Object.assign(error, { reusedSocket: true }) : error);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
