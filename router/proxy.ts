// Forwards one request to a cell: pick a healthy instance in turn, ask the breaker, send, and
// retry on another instance only where that cannot charge twice. A connection that was never
// established carried nothing, so any method may go elsewhere; once a request may have reached a
// gateway, only GET/HEAD and a POST with an Idempotency-Key (the cell replays it) are resent.
import { Readable } from "node:stream";
import { ApiError } from "../shared/errors.ts";
import { FORWARDED_AT_HEADER } from "../shared/http/protocol-headers.ts";
import type { CellPool } from "./cell-pool.ts";
import { errorCode } from "./upstream.ts";

/** Milliseconds since the epoch when the router sent this attempt to the cell. */
export { FORWARDED_AT_HEADER };

export interface OutgoingRequest {
  method: string;
  /** Path and query, as the partner sent them. */
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** Call once the body has been relayed (or abandoned): ends the request's deadline. */
  done(): void;
}

export interface ProxyOptions {
  requestTimeoutMs: number;
  maxAttempts: number;
}

// undici and the OS report these before a single byte of the request left us.
const notSentCodes = new Set([
  "ECONNREFUSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** What a cell's gateway answers 503 with when it cannot serve anyone: its Postgres is gone. */
const cellDownCodes = new Set(["service_unavailable"]);
/** A 503 body larger than this is not a gateway's error (those are a few hundred bytes). */
const MAX_503_BODY_BYTES = 16 * 1024;

/**
 * Whether an answer says the cell itself is broken (see circuit-breaker.ts for why): a 502/504
 * (our gateways never answer those, so something in front of them does), a 503 naming the cell's
 * own outage, or a 503 that is no cellpay error at all. A 500 is one request's answer (the partner
 * pays for it, partner-error-throttle.ts); `overloaded`, `acquirer_unavailable` and
 * `partner_moving` are the cell answering on purpose; 4xx and 429 likewise.
 */
export function isBreakerFailure(status: number, code: string | undefined): boolean {
  if (status === 502 || status === 504) return true;
  if (status !== 503) return false;
  return code === undefined || cellDownCodes.has(code);
}

/** A 503's body, read whole (it is small) so its error code can be judged; then relayed from memory. */
async function read503(body: Readable): Promise<{ text: Buffer; code: string | undefined } | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_503_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks);
  let code: string | undefined;
  try {
    const parsed = JSON.parse(text.toString("utf8")) as { error?: { code?: unknown } } | null;
    if (typeof parsed?.error?.code === "string") code = parsed.error.code;
  } catch {
    // not JSON: not a cellpay error
  }
  return { text, code };
}

export function isSafeToResend(method: string, headers: Record<string, string | string[]>): boolean {
  if (method === "GET" || method === "HEAD") return true;
  return method === "POST" && headers["idempotency-key"] !== undefined;
}

const unavailable = (cellId: string, retryAfter: number, message?: string) =>
  new ApiError(
    "cell_unavailable",
    message ?? `The partner's cell (${cellId}) cannot answer right now; retry later.`,
    {
      headers: { "retry-after": String(retryAfter) },
    },
  );

/**
 * Resolves with the cell's response (status, headers and a body stream to relay unchanged), or
 * rejects with an ApiError: 503 cell_unavailable, 504 upstream_timeout. `abort` is the request's
 * one controller: the caller aborts it when the partner hangs up, the deadline here aborts it too
 * (one controller per request, not two: each costs on the hot path).
 */
export async function forwardToCell(
  cell: CellPool,
  req: OutgoingRequest,
  opts: ProxyOptions,
  abort: AbortController,
): Promise<UpstreamResponse> {
  if (cell.state === "down")
    throw unavailable(cell.cellId, 5, `The partner's cell (${cell.cellId}) is down.`);
  const candidates = cell.healthyInTurn().slice(0, opts.maxAttempts);
  if (candidates.length === 0) throw unavailable(cell.cellId, 2);
  if (!cell.breaker.tryAcquire()) throw unavailable(cell.cellId, cell.breaker.retryAfterSeconds());

  // One deadline for the whole exchange, retries and response body included.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, opts.requestTimeoutMs);
  const done = () => clearTimeout(timer);

  const resendable = isSafeToResend(req.method, req.headers);
  // Built only when needed: an Error captures a stack trace, which is a real cost on the hot path.
  let failedBeforeSending = false;
  try {
    for (const upstream of candidates) {
      // When this attempt left the router: the gateway sheds it if it then waited too long in a
      // queue (the pool's or its own) to be worth starting (cell/gateway/middleware/admission.ts).
      req.headers[FORWARDED_AT_HEADER] = String(Date.now());
      try {
        const res = await upstream.pool.request({
          method: req.method as "GET",
          path: req.path,
          headers: req.headers,
          body: req.body.length > 0 ? req.body : null,
          signal: abort.signal,
        });
        let body: Readable = res.body;
        let code: string | undefined;
        // A HEAD answer has no body to name its code: a 503 to it is judged as the cell answering.
        const head = req.method === "HEAD";
        if (res.statusCode === 503 && !head) {
          const read = await read503(res.body);
          // Not a gateway's answer, and already half read: answered as a cell that cannot answer.
          if (!read) break;
          body = Readable.from([read.text]);
          code = read.code;
        }
        if (isBreakerFailure(res.statusCode, head ? "(head)" : code)) cell.breaker.onFailure();
        else cell.breaker.onSuccess();
        return { status: res.statusCode, headers: res.headers, body, done };
      } catch (err) {
        if (timedOut) {
          cell.breaker.onFailure();
          throw new ApiError(
            "upstream_timeout",
            `The partner's cell (${cell.cellId}) did not answer in time.`,
            {
              cause: err,
            },
          );
        }
        if (abort.signal.aborted) {
          cell.breaker.release();
          throw unavailable(cell.cellId, 1, "The client closed the connection.");
        }
        const code = errorCode(err);
        if (notSentCodes.has(code)) {
          upstream.markUnhealthy(code);
          failedBeforeSending = true;
          continue;
        }
        // It may have reached the gateway: resend only what the cell can recognise as a repeat.
        if (resendable) continue;
        cell.breaker.onFailure();
        throw unavailable(
          cell.cellId,
          1,
          "The connection to the partner's cell broke after the request was sent, so it may have been " +
            "processed. Retry with an Idempotency-Key to be safe.",
        );
      }
    }
    cell.breaker.onFailure();
    throw unavailable(
      cell.cellId,
      2,
      failedBeforeSending
        ? `No gateway of the partner's cell (${cell.cellId}) accepts connections.`
        : undefined,
    );
  } catch (err) {
    done();
    throw err;
  }
}
