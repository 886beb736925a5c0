// What our HTTP servers (router, gateway) answer when a request is refused before any handler
// sees it: by Node's parser (a NUL, a tab or a byte past ASCII in the path, a target that is
// neither `/…` nor absolute) or by @hono/node-server building the Request (a backslash in the
// path, an unparsable URL). The one error shape, like every other refusal, instead of a bare 400.
import type { Duplex } from "node:stream";
import { ApiError } from "../errors.ts";
import { newId } from "../ids.ts";

/** Parser errors of the request target: the path itself is what was wrong. */
const pathErrors = new Set(["HPE_INVALID_URL", "HPE_INVALID_PATH"]);

export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // Node's own rule: nothing to say on a dead socket or once a response has begun on it.
  const busy = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (err.code === "ECONNRESET" || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  if (err.code === "HPE_HEADER_OVERFLOW") {
    socket.end("HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\n\r\n");
    return;
  }
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    socket.end("HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n\r\n");
    return;
  }
  const requestId = newId("req");
  const refusal = pathErrors.has(err.code ?? "")
    ? new ApiError("invalid_path", "The path contains a character HTTP does not allow there.")
    : new ApiError("invalid_request", "The request is not valid HTTP/1.1.");
  const body = JSON.stringify(refusal.toBody(requestId));
  socket.end(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** For @hono/node-server's getRequestListener: a request it could not turn into a Request object. */
export function answerUnparsableRequest(): Response {
  const requestId = newId("req");
  const refusal = new ApiError("invalid_path", "The request path cannot be parsed.");
  return new Response(JSON.stringify(refusal.toBody(requestId)), {
    status: 400,
    headers: { "content-type": "application/json", "request-id": requestId },
  });
}
