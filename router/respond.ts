// The router's own answers: errors in the one cellpay shape, and small JSON bodies for health.
import type { ServerResponse } from "node:http";
import type { ApiError } from "../shared/errors.ts";

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, err.toBody(requestId), { ...err.headers, "request-id": requestId });
}
