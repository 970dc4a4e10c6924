// A small HTTP client over several API processes: round-robin, per-request timeout, and
// retries only where a retry cannot double an effect.

export type ApiResponse = {
  status: number;
  body: any;
  /** problem+json code when the API sent one */
  code: string | null;
};

export type RequestOptions = {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** a label for error counts, e.g. "POST /orders" */
  route: string;
  /**
   * Retrying a request whose outcome is unknown (connection reset, timeout) is safe only when
   * the request is idempotent (GET, PUT, POST /orders with an Idempotency-Key, POST payment).
   */
  idempotent: boolean;
};

export type ApiEvents = {
  /** non-2xx answer the caller did not expect, or a transport failure */
  onError?: (route: string, what: string) => void;
  onLatency?: (route: string, ms: number) => void;
  onRetry?: (route: string, why: string) => void;
};

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_ATTEMPTS = 6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ApiClient {
  private next = 0;

  constructor(
    readonly bases: string[],
    private readonly events: ApiEvents = {},
  ) {
    if (bases.length === 0) throw new Error("at least one API base URL is needed");
  }

  private pick(): string {
    const base = this.bases[this.next % this.bases.length]!;
    this.next++;
    return base;
  }

  async request(method: string, path: string, opts: RequestOptions): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers["Content-Type"] = "application/json";

    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      let res: Response;
      try {
        res = await fetch(`${this.pick()}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        const what = transportError(error);
        // Refused connections never reached a server: always safe to send elsewhere.
        const safe = opts.idempotent || what === "ECONNREFUSED";
        if (safe && attempt < MAX_ATTEMPTS) {
          this.events.onRetry?.(opts.route, what);
          await sleep(100 * attempt);
          continue;
        }
        this.events.onError?.(opts.route, what);
        throw new TransportError(`${method} ${path}: ${what}`);
      }
      const text = await res.text();
      let parsed: any = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      const code = parsed && typeof parsed === "object" && typeof parsed.code === "string" ? parsed.code : null;
      // 429 and 503 mean the request was not carried out: wait and send it again.
      if ((res.status === 429 || res.status === 503) && attempt < MAX_ATTEMPTS) {
        this.events.onRetry?.(opts.route, `${res.status}`);
        const retryAfter = Number(res.headers.get("retry-after"));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 5) * 1000 : 200 * attempt);
        continue;
      }
      if (res.status < 500) this.events.onLatency?.(opts.route, performance.now() - started);
      return { status: res.status, body: parsed, code };
    }
  }
}

export class TransportError extends Error {
  override name = "TransportError";
}

function transportError(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string }; code?: string };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "TIMEOUT";
  return e?.cause?.code ?? e?.code ?? "FETCH_FAILED";
}
