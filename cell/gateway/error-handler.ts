// The single place where anything thrown becomes the one error shape. Unknown errors become a
// logged 500 without detail; Hono's own HTTP errors (bad JSON, body too large) get their codes.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorCode } from "../../shared/errors.ts";
import type { AppEnv } from "./app-env.ts";

export function renderError(c: Context<AppEnv>, err: ApiError): Response {
  const requestId = c.get("requestId") ?? "";
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  return c.json(err.toBody(requestId), err.status);
}

const httpStatusCodes: Partial<Record<number, ErrorCode>> = {
  400: "invalid_json",
  401: "missing_api_key",
  404: "route_not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export const onError: ErrorHandler<AppEnv> = (err, c) => {
  c.set("error", err); // request-context logs a 5xx once, with this cause; metrics reads the code
  if (err instanceof ApiError) return renderError(c, err);
  if (err instanceof HTTPException) {
    const code = httpStatusCodes[err.status];
    if (code) {
      const message = code === "invalid_json" ? "The request body is not valid JSON." : err.message || code;
      return renderError(c, new ApiError(code, message));
    }
  }
  if (isDatabaseUnavailable(err)) {
    // The cell's Postgres is down or unreachable: nothing was written; the partner may retry.
    return renderError(
      c,
      new ApiError(
        "service_unavailable",
        "The service is temporarily unavailable; retry after the time in Retry-After.",
        {
          headers: { "retry-after": "2" },
        },
      ),
    );
  }
  return renderError(c, new ApiError("internal_error", "An internal error occurred; it has been logged."));
};

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
  // read_only_sql_transaction: the session's server became a standby under it (a failover or
  // switchover of the cell's replicated Postgres); nothing was written, the retry finds the primary.
  "25006",
]);

function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && databaseDownCodes.has(code);
}

/** 404 for unknown paths, 405 (with Allow) for known paths asked with another method. */
export function notFoundOrMethodNotAllowed(
  routes: () => { method: string; path: string }[],
): NotFoundHandler<AppEnv> {
  return (c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = routes()
      .filter((r) => r.method !== "ALL" && pathPattern(r.path).test(path))
      .map((r) => r.method);
    if (allowed.length > 0) {
      c.header("allow", [...new Set(allowed)].join(", "));
      return renderError(c, new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${path}.`));
    }
    return renderError(c, new ApiError("route_not_found", `No route ${c.req.method} ${path}.`));
  };
}

function pathPattern(path: string): RegExp {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_]+/g, "[^/]+");
  return new RegExp(`^${escaped}/?$`);
}
