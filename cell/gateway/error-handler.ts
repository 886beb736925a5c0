// The gateway's error handler: the shared one (shared/http/error-handler.ts), plus what only the
// cell knows: its Postgres being unreachable is a 503 the partner may retry (nothing was written),
// and a value Postgres refused as malformed is the request's fault, a 400.
import type { Context } from "hono";
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
  // No primary took the query in time (cell/db/connection-deadline.ts): a failover in progress.
  "PRIMARY_UNAVAILABLE",
  "57P01",
  "57P03",
  // read_only_sql_transaction: the session's server became a standby under it (a failover or
  // switchover of the cell's replicated Postgres); nothing was written, the retry finds the primary.
  "25006",
]);

function classifyCellError(err: unknown, c: Context<AppEnv>): ApiError | undefined {
  if (isDatabaseUnavailable(err)) {
    return new ApiError(
      "service_unavailable",
      "The service is temporarily unavailable; retry after the time in Retry-After.",
      { headers: { "retry-after": "2" } },
    );
  }
  const dataException = inputDataException(err);
  if (dataException) {
    // A value the schemas let through that Postgres refused: the request's fault, not the cell's,
    // so a 400 (a 5xx would count against the partner in the router). Logged so the schema gap
    // gets closed; without the driver's message, which may quote the value.
    c.get("log")?.warn({ pg_code: dataException, path: c.req.routePath }, "input refused by the database");
    return new ApiError("invalid_request", "A value in the request is out of range or malformed.");
  }
  return undefined;
}

/**
 * Postgres SQLSTATE class 22, "data exception": a value that does not fit its column or type
 * (22P02 invalid text representation, 22003 numeric out of range, 22008 datetime overflow, 22001
 * string too long, 22021 a null byte in text…). Only the values of a statement raise these; so
 * does an invalid Date given to the driver as a parameter, before anything is sent.
 */
function inputDataException(err: unknown): string | undefined {
  for (const e of causes(err) as ({ code?: unknown; severity?: unknown } | null)[]) {
    // The driver turning an invalid Date parameter into text (the created[gte] finding).
    if (e instanceof RangeError && e.message === "Invalid time value") return "invalid_date_parameter";
    const code = e?.code;
    const fromPostgres = typeof e?.severity === "string";
    if (fromPostgres && typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) return code;
  }
  return undefined;
}

function isDatabaseUnavailable(err: unknown): boolean {
  return causes(err).some((e) => {
    const code = (e as { code?: unknown } | null)?.code;
    return typeof code === "string" && databaseDownCodes.has(code);
  });
}

/** The error and what it wraps: drizzle rethrows a driver's error as the `cause` of its own. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

export const onError = createErrorHandler<AppEnv>({ classify: classifyCellError });
export { notFoundOrMethodNotAllowed };
