// The gateway's error handler: the shared one (shared/http/error-handler.ts), plus what only the
// cell knows: its Postgres being unreachable is a 503 the partner may retry (nothing was written).
import { ApiError } from "../../shared/errors.ts";
import { createErrorHandler, notFoundOrMethodNotAllowed } from "../../shared/http/error-handler.ts";
import type { AppEnv } from "./app-env.ts";

// Connection-level failures of the `postgres` driver (server gone, refused, timed out).
const databaseDownCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01",
  "57P03",
]);

function databaseUnavailable(err: unknown): ApiError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !databaseDownCodes.has(code)) return undefined;
  return new ApiError(
    "service_unavailable",
    "The service is temporarily unavailable; retry after the time in Retry-After.",
    { headers: { "retry-after": "2" } },
  );
}

export const onError = createErrorHandler<AppEnv>({ classify: databaseUnavailable });
export { notFoundOrMethodNotAllowed };
